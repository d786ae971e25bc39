"""torch_import.py - how the PyTorch tools (vaew_from_torch.py, vaew_to_torch.py) get torch.

PyTorch is a tool dependency only (scripts/install-deps --torch gives Debian's python3-torch to
/usr/bin/python3; the `python3` first on a PATH may be another interpreter without it). Both tools
say so in the same one line and exit 1 when it is missing.
"""
import sys


def import_torch(prog):
    """The torch module, or None after a one-line message on stderr naming `prog`."""
    try:
        import torch
    except ImportError:
        print(f"{prog}: PyTorch is missing: run scripts/install-deps --torch, and use "
              "/usr/bin/python3", file=sys.stderr)
        return None
    return torch
