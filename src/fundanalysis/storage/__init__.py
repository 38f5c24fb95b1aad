"""The I/O layer: the only code that touches the disk.

``catalog`` knows where things live; ``inputs`` with ``xlsx`` and ``textsheets`` reads raw
input (behind the checks of ``guard``); ``processed`` keeps the processed tables; ``digests``
decides what is current (content hashes); ``files`` writes atomically and publishes, never
replacing or deleting what the tool did not create.
"""
