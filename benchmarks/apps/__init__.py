"""One module per peer; each exposes ``build(scenario_name) -> app``."""
