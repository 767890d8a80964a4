"""The emulator's simulation layer: the vendor's job JSON in, histograms and failures out.

Pure numpy simulation of what ``POST /jobs`` carries (Qiskit is used only, and lazily, to
read OpenQASM 3 programs and to compile v0.4 dry runs): the systems' catalogue
(:mod:`.catalog`), gate unitaries (:mod:`.gates`), state vectors and their kernels
(:mod:`.statevector`), ideal runs (:mod:`.ideal`), noise models (:mod:`.noise`), the
job-level entry points (:mod:`.simulator`), OpenQASM 3 execution (:mod:`.qasm3_exec`), the
v0.4 dry-run compiler (:mod:`.compile`) and the histogram type results are served from
(:mod:`.histogram`).

Why a layer of its own: everything here is a function of a request body (plus a seed) and
can be tested, benchmarked and reasoned about without a socket. It never imports the HTTP or
service layer above it (server, store, job lifecycle, budgets, sessions...) nor the client
side of ``qiskit_ionq``; the service layer calls down into it. A failed job is a
:class:`.gates.JobFailure`, which the service layer turns into the job's ``failure``.
"""
