"""hipflask's benchmark suite: the same scenarios run on every peer, in one run.

``python -m benchmarks`` runs everything and writes ``benchmarks/results/``;
``python -m benchmarks.inprocess --framework X --scenario Y --json`` runs one
framework on one scenario. See ``benchmarks/README.md``.
"""
