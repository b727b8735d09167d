"""Front-end libraries served from the npm packages installed at setup (``npm install``).

Nothing is copied or committed: ``/vendor/<name>/<file>`` serves a whitelisted file straight from
``node_modules``; ``/static/licenses/<name>.txt`` serves the licence text that ships with it.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, send_from_directory

from web.errors import Problem

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
#: name -> (package folder, files served, licence text)
VENDOR = {
    "yasgui": ("@zazuko/yasgui", ("build/yasgui.min.js", "build/yasgui.min.css"),
               Path(__file__).resolve().parent / "licenses" / "yasgui.txt"),
    "chart.js": ("chart.js", ("dist/chart.umd.min.js",), NODE_MODULES / "chart.js" / "LICENSE.md"),
}


def vendor(name: str, filename: str) -> Response:
    package, files, _ = VENDOR.get(name, ("", (), Path()))
    if filename not in files:
        raise Problem(404, "Not found", "no vendored file %(name)s/%(filename)s",
                                        params={"name": name, "filename": filename})
    folder = NODE_MODULES / package
    if not (folder / filename).is_file():
        raise Problem(500, "Front-end library missing",
                      "%(package)s is not installed: run `npm install` (or `make install`)",
                      params={"package": package})
    return send_from_directory(folder, filename, max_age=3600)


def licence(name: str) -> Response:
    if name not in VENDOR or not VENDOR[name][2].is_file():
        raise Problem(404, "Not found", "no licence text for %(name)s", params={"name": name})
    path = VENDOR[name][2]
    return send_from_directory(path.parent, path.name, mimetype="text/plain")


def init_app(app: Flask) -> None:
    app.add_url_rule("/vendor/<name>/<path:filename>", "vendor", vendor)
    app.add_url_rule("/static/licenses/<name>.txt", "licence", licence)
