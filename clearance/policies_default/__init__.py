"""The default policy files, shipped in the wheel: ``default.yaml`` (levels, channels, sign-off
chains) and ``screening.yaml`` (the screening rules it includes). Read them through
``clearance.settings.DEFAULT_POLICY`` / ``DEFAULT_SCREENING``, never from a source checkout."""
