"""Text utilities shared by the analyses: normalisation (Arabic and English) and offline language identification."""
from .lang import detect_language, detect_languages, script_of
from .normalise import normalise, normalise_arabic

__all__ = ["normalise", "normalise_arabic", "detect_language", "detect_languages", "script_of"]
