"""Export stage: DB → files under `exports/` (atomic writes).

Input: an engine and an output directory. Output: `sources/<name>.md` round trips (see
`sources.py`); category, tag, index and changes files are added by their own modules.
"""
