"""Building the reports: run the section notebooks (papermill), convert them (nbconvert), publish.

``orchestrate`` drives a build; ``runners`` executes notebooks with papermill in warm Jupyter
kernels (``kernels``); ``sections`` finds the sections; ``convert``
turns executed notebooks into HTML; ``fingerprint`` says what a report was made from;
``signals`` stops cleanly. Disk access goes through :mod:`fundanalysis.storage`.
"""
