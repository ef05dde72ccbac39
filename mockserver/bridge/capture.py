"""``serve --upstream-record DIR``: every answer the passthrough brings back, saved as a
scenario that replays it without the upstream.

``DIR/scenario.yaml`` holds one rule per distinct request (method, path, query) whose action
is ``respond: {status, headers, $ref}``, and ``DIR/bodies/`` the bodies, byte for byte as the
upstream sent them (a ``$ref`` body is sent as the file's bytes). The file is rewritten whole
(through a temporary file and a rename) after each answer, so it is always a complete,
loadable scenario; a request seen again replaces its earlier answer. Rules with more query
parameters come first: the rules match a query as a subset, and the first that fires answers.

It knows the scenario format's ``respond`` rule and files; nothing of HTTP or the upstream.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass

import yaml

MAX_REQUESTS = 10_000  # distinct requests one capture saves; past it, answers are not saved
SCENARIO_FILE = "scenario.yaml"
BODIES = "bodies"


@dataclass
class _Saved:
    number: int
    method: str
    path: str
    query: list[tuple[str, str]]
    status: int
    headers: list[tuple[str, str]]
    file: str


def _slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")[:60] or "root"


class Capture:
    """The scenario of the answers passed through so far, in ``folder``."""

    def __init__(self, folder: str, max_requests: int = MAX_REQUESTS) -> None:
        self.folder = folder
        self.max_requests = max_requests
        self._saved: dict[tuple[str, str, tuple[tuple[str, str], ...]], _Saved] = {}
        self._warned = False
        os.makedirs(os.path.join(folder, BODIES), exist_ok=True)

    def __len__(self) -> int:
        return len(self._saved)

    def save(
        self,
        path: str,
        query: list[tuple[str, str]],
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
        method: str = "GET",
    ) -> None:
        """Keep one answer (its body in a file) and rewrite the scenario."""
        key = (method, path.lower(), tuple(sorted((k.lower(), v) for k, v in query)))
        saved = self._saved.get(key)
        if saved is None:
            if len(self._saved) >= self.max_requests:
                if not self._warned:
                    self._warned = True
                    print(
                        f"mockserver: --upstream-record keeps {self.max_requests} distinct "
                        "requests; later ones are passed through but not saved",
                        file=sys.stderr,
                    )
                return
            number = len(self._saved) + 1
            json_body = any(n == "content-type" and "json" in v for n, v in headers)
            name = f"{number:04d}-{method.lower()}-{_slug(path)}.{'json' if json_body else 'txt'}"
            saved = _Saved(number, method, path, list(query), status, headers, name)
            self._saved[key] = saved
        else:
            saved.status, saved.headers = status, headers
        _write(os.path.join(self.folder, BODIES, saved.file), body)
        self._write_scenario()

    def failed(self, error: OSError) -> None:
        """An answer could not be saved: said once on stderr (the request is answered)."""
        if not self._warned:
            self._warned = True
            print(
                f"mockserver: --upstream-record cannot write to {self.folder}: "
                f"{error.strerror or error}; answers are passed through but not saved",
                file=sys.stderr,
            )

    def _write_scenario(self) -> None:
        ordered = sorted(self._saved.values(), key=lambda s: (-len(s.query), s.number))
        rules = [_rule(saved) for saved in ordered]
        document = {
            "name": "upstream-recording",
            "description": "Answers recorded from the upstream by serve --upstream-record; "
            "each rule replays one request's answer.",
            "rules": rules,
        }
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
        _write(os.path.join(self.folder, SCENARIO_FILE), text.encode("utf-8"))


def _rule(saved: _Saved) -> dict[str, object]:
    match: dict[str, object] = {"method": saved.method, "path": saved.path}
    if saved.query:
        values: dict[str, list[str]] = {}
        for name, value in saved.query:
            values.setdefault(name, []).append(value)
        match["query"] = {n: v[0] if len(v) == 1 else v for n, v in values.items()}
    target = saved.path + (
        "?" + "&".join(f"{k}={v}" for k, v in saved.query) if saved.query else ""
    )
    respond: dict[str, object] = {"status": saved.status}
    if saved.headers:
        respond["headers"] = dict(saved.headers)
    respond["$ref"] = f"{BODIES}/{saved.file}"
    return {"name": f"upstream {saved.number}: {saved.method} {target}", "match": match,
            "respond": respond}  # fmt: skip


def _write(path: str, data: bytes) -> None:
    """Replace ``path`` whole: readers see the old file or the new one, never half of one."""
    temporary = path + ".part"
    with open(temporary, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)
