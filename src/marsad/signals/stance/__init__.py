"""Stance: which posts and accounts support the organisation (Arabic and English), with evidence.

- :mod:`.features` hashed n-grams and naming/lexicon cues
- :mod:`.model` the calibrated per-language linear model shipped in ``marsad/models``
- :mod:`.data` the real training data and its honest splits; :mod:`.train` and :mod:`.evaluate` rebuild and check it
- :mod:`.account` account verdicts with shrinkage; :mod:`.signal` the ``stance`` signal
"""
