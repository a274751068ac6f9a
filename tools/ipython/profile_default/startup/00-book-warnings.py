# The test environment's warning policy (IPYTHONDIR points here in tools/notebook.env):
# a deprecation raised by the book's own code -- a notebook cell (module __main__) or the
# torchbook package -- is an error, so a page never teaches an API that is on its way out.
# Warnings raised inside third-party libraries are left to Python's defaults (hidden unless
# they concern the caller). Readers' kernels never load this file.
import warnings as _warnings

for _category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
    _warnings.filterwarnings("error", category=_category, module=r"(__main__|torchbook(\..*)?)\Z")
del _warnings, _category
