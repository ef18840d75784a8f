"""Check for the system libraries WeasyPrint needs, before `make run` builds the venv.

WeasyPrint renders the PDF labels and loads Pango, HarfBuzz and fontconfig from the system when
it is imported; if one is missing, Django dies at startup with a long traceback. This script runs
first, with the bare Python (standard library only), and names what is missing and the command
that installs it. Exit status 0 when everything is there, 1 otherwise.

Libraries are looked up by dlopen-ing the same names WeasyPrint does, not with
ctypes.util.find_library: that reads the ldconfig cache, which can miss a library that is
installed (and that WeasyPrint loads fine) until `ldconfig` has been run.
"""

import ctypes
import glob
import shutil
import subprocess
import sys

# apt package -> the names WeasyPrint dlopens (Linux soname, macOS Homebrew dylib).
LIBRARIES = {
    "libpango-1.0-0": ("libpango-1.0.so.0", "libpango-1.0.dylib"),
    "libpangoft2-1.0-0": ("libpangoft2-1.0.so.0", "libpangoft2-1.0.dylib"),
    "libharfbuzz-subset0": ("libharfbuzz-subset.so.0", "libharfbuzz-subset.0.dylib"),
}
FONTS = "fonts-dejavu-core"


def _loads(names):
    for name in names:
        try:
            ctypes.CDLL(name)
        except OSError:
            continue
        return True
    return False


def _has_fonts():
    if sys.platform == "darwin":
        return True  # macOS always ships fonts
    fc_list = shutil.which("fc-list")
    if fc_list:
        result = subprocess.run([fc_list], capture_output=True, text=True)  # noqa: S603 - fixed argv
        return bool(result.stdout.strip())
    return bool(glob.glob("/usr/share/fonts/**/*.[ot]tf", recursive=True))


def missing():
    """The apt packages whose library (or, for fonts, any font) cannot be found."""
    gone = [package for package, names in LIBRARIES.items() if not _loads(names)]
    return gone + ([] if _has_fonts() else [FONTS])


def main():
    gone = missing()
    if not gone:
        return 0
    if sys.platform == "darwin":
        what, command = "Pango and HarfBuzz", "brew install pango"
    else:
        what, command = ", ".join(gone), "sudo apt-get install -y " + " ".join(gone)
    print(
        f"make run: WeasyPrint (PDF labels) needs system libraries that are missing: {what}.\n"
        f"Install them, then run `make run` again:\n\n    {command}\n",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
