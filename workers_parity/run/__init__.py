"""Proving parity of a project's workers: which workers a run covers (targets), the project's cases, masks, pins and
plug-ins together (suite), one case's answers judged (judging), every case sent to every worker in order (replay),
the results file written (record), and `workers-parity run` itself (command). The pytest plugin
(plugins/pytest_cases.py) uses the same pieces."""
