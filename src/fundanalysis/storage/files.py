"""Writing safely: atomic files, staging folders published in one step, and only ever
replacing or deleting what the tool itself created."""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from fundanalysis.errors import StorageError

#: A file in every folder the tool creates to publish into (staging and version folders); a
#: folder without it is never replaced or deleted.
MARKER = ".fundanalysis-owned"


_PLAIN_CAUSES = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
                 errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied",
                 errno.EPERM: "permission denied"}


def storage_error(path: Path, exc: OSError, doing: str = "writing") -> StorageError:
    """A :class:`StorageError` naming the path and the cause in plain words."""
    why = _PLAIN_CAUSES.get(exc.errno or 0, exc.strerror or str(exc))
    return StorageError(f"cannot finish {doing} {path}: {why}")


def plain_cause(text: str) -> str:
    """An OS error message with its cause put in plain words (``[Errno 28] No space …`` → disk full)."""
    for code, words in _PLAIN_CAUSES.items():
        if os.strerror(code) in text:
            return words
    return text


@contextlib.contextmanager
def writing(path: Path, doing: str = "writing") -> Iterator[None]:
    """Turn an OSError raised inside the block into a :class:`StorageError` about ``path``."""
    try:
        yield
    except StorageError:
        raise
    except (TimeoutError, ConnectionError):
        raise  # OSError subclasses that are not about the disk (a cell or kernel timing out)
    except OSError as exc:
        if exc.errno is None:
            raise
        raise storage_error(Path(path), exc, doing) from exc


@contextlib.contextmanager
def staging_dir(final: Path) -> Iterator[Path]:
    """A fresh folder beside ``final`` to build into; removed if the build fails."""
    final = Path(final)
    created = [p for p in (final.parent, *final.parent.parents) if not p.exists()]
    try:
        with writing(final.parent, "creating"):
            final.parent.mkdir(parents=True, exist_ok=True)
        tmp = make_staging(final.parent, final.name)
    except BaseException:
        _remove_empty(created)
        raise
    try:
        yield tmp
    except BaseException:
        remove_owned(tmp)
        _remove_empty(created)
        raise


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders this build created (innermost first) if they are still empty."""
    for folder in folders:
        try:
            folder.rmdir()  # only ever succeeds on an empty folder
        except OSError:
            return


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def make_staging(parent: Path, name: str) -> Path:
    """A fresh staging folder in ``parent``, readable as the umask allows (mkdtemp makes 0700).

    Staging folders of ``name`` that a killed run left there are removed first (see
    :func:`abandoned_staging`).
    """
    for old in abandoned_staging(parent, name):
        remove_owned(old)
    with writing(parent, "creating a staging folder in"):
        tmp = Path(tempfile.mkdtemp(prefix=f".staging-{name}-", dir=parent))
        try:
            os.chmod(tmp, 0o777 & ~_umask())
            _mark(tmp)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return tmp


def _mark(folder: Path) -> None:
    (folder / MARKER).write_text(f"created by fundanalysis (pid {os.getpid()} on {socket.gethostname()}); "
                                 "the tool may replace or delete this folder\n", encoding="utf-8")


#: A staging folder whose maker cannot be asked (another machine) is taken as abandoned after this long.
ABANDONED_AFTER_S = 24 * 3600


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def abandoned_staging(parent: Path, name: str) -> list[Path]:
    """Staging folders of ``name`` in ``parent`` left by a run that was killed: the tool's own only
    (marker inside, not a link), made by a process of this machine that no longer runs, or, when
    made elsewhere or the maker is unknown, older than :data:`ABANDONED_AFTER_S`. A folder of a
    run still going is never among them."""
    found = []
    for p in stale_staging(parent, name):
        try:
            note = (p / MARKER).read_text(encoding="utf-8")
            age = time.time() - (p / MARKER).stat().st_mtime
        except OSError:
            continue
        m = re.search(r"\(pid (\d+)(?: on ([^)]*))?\)", note)
        here = m is not None and (m.group(2) is None or m.group(2) == socket.gethostname())
        if (here and m is not None and int(m.group(1)) != os.getpid() and not _pid_alive(int(m.group(1)))) \
                or age > ABANDONED_AFTER_S:
            found.append(p)
    return found


def is_owned(folder: Path) -> bool:
    """True for a real folder (not a link) that the tool created to publish into."""
    return folder.is_dir() and not folder.is_symlink() and (folder / MARKER).is_file()


def remove_owned(folder: Path) -> None:
    """Delete a folder the tool created (marker inside, not a link); anything else is left alone."""
    if not is_owned(folder):
        return
    for _ in range(3):  # a process stopped a moment ago may still be closing a file in it
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            return
        time.sleep(0.2)


def stale_staging(parent: Path, name: str) -> list[Path]:
    """Staging folders of ``name`` left in ``parent`` by a build that was killed (tool-made only)."""
    if not Path(parent).is_dir():
        return []
    return [p for p in Path(parent).glob(f".staging-{name}-*") if is_owned(p)]


def _versions_dir(final: Path) -> Path:
    """The folder holding the published versions beside ``final``; refused if it is not the tool's."""
    versions = final.parent / ".versions"
    if versions.is_symlink() or (versions.exists() and not versions.is_dir()):
        raise StorageError(f"{versions} is not a folder fundanalysis created (it is a link or a file); "
                           "refusing to publish there. Move it away, or choose another output folder")
    return versions


def _owned_link_target(final: Path) -> Path | None:
    """The version folder an existing ``final`` link points to, if the tool made that link.

    A tool-made link is relative, names ``.versions/<final name>-…`` beside it and points to a
    real folder there; anything else (a link the user made, a real folder, a file) is not the
    tool's and is never replaced.
    """
    if not final.is_symlink():
        return None
    text = os.readlink(final)
    if not re.fullmatch(rf"\.versions/{re.escape(final.name)}-[^/]+", text):
        return None
    target = final.parent / text
    return target if target.is_dir() and not target.is_symlink() else None


def check_publishable(final: Path) -> None:
    """Raise :class:`StorageError` if ``final`` exists and is not a link the tool made.

    Called before a build starts, so that nothing is executed or written when the place the
    build would publish to holds something else: a link to another folder, a real folder with
    somebody's files, a file.
    """
    final = Path(final)
    _versions_dir(final)
    if not final.exists() and not final.is_symlink():
        return
    if _owned_link_target(final) is not None:
        return
    if final.is_symlink():
        what = f"a symbolic link to {os.readlink(final)} that fundanalysis did not create"
    elif final.is_dir():
        what = "a folder fundanalysis did not create (it may hold your own files)"
    else:
        what = "a file fundanalysis did not create"
    raise StorageError(f"{final} is {what}; refusing to replace it (nothing was changed). Move it "
                       "elsewhere, or choose another output folder")


def publish_dir(staged: Path, final: Path) -> Path:
    """Publish a staged folder as ``final`` with one atomic step.

    ``final`` is a symlink to a versioned folder; it is swapped with ``os.replace``,
    so a reader (or a ``kill -9``) sees either the old tree or the new one, never a mix.
    Only a link the tool made is replaced and only version folders it made are deleted; a
    link is never followed to delete (see :func:`check_publishable`).
    """
    staged, final = Path(staged), Path(final)
    check_publishable(final)
    versions = _versions_dir(final)
    stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    target = versions / f"{final.name}-{stamp}"
    with writing(final, "publishing"):
        if not versions.exists():
            versions.mkdir(parents=True)
            _mark(versions)
        os.replace(staged, target)
        old = _owned_link_target(final)
        link_tmp = final.parent / f".link-{final.name}-{stamp}"
        os.symlink(os.path.relpath(target, final.parent), link_tmp)
        os.replace(link_tmp, final)
    for leftover in versions.glob(f"{glob_escape(final.name)}-*"):
        # the previous version and any left by a publish that was killed half-way
        if leftover.resolve() != target.resolve() and leftover.is_dir() and not leftover.is_symlink():
            if leftover == old or is_owned(leftover):
                shutil.rmtree(leftover, ignore_errors=True)
    return target


def glob_escape(name: str) -> str:
    """``name`` with glob wildcards escaped."""
    return re.sub(r"([*?\[])", r"[\1]", name)


def write_text(path: Path, text: str) -> None:
    """Write a text file (UTF-8) atomically: temp file, then rename."""
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    """Write a file atomically (temp file, then rename); it follows the umask.

    On failure (disk full, read-only) the temp file is removed and a :class:`StorageError`
    names the path; the file's previous content, if any, is untouched.
    """
    path = Path(path)
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; published files follow the umask
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def ensure_dir(path: Path) -> Path:
    """Create a folder (and its parents) if needed."""
    with writing(path, "creating"):
        Path(path).mkdir(parents=True, exist_ok=True)
    return Path(path)


def read_text(path: Path) -> str:
    """A UTF-8 text file."""
    return Path(path).read_text(encoding="utf-8")


def take_text(path: Path) -> str | None:
    """Read a UTF-8 file and remove it (a hand-over file between processes); None if absent."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    p.unlink()
    return text


def read_texts(folder: Path, pattern: str) -> dict[str, str]:
    """Every UTF-8 file of ``folder`` matching ``pattern``, by file name."""
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(Path(folder).glob(pattern))}


def list_names(folder: Path, pattern: str) -> list[str]:
    """Names of the files in ``folder`` matching ``pattern``, sorted (none if no folder)."""
    return sorted(p.name for p in Path(folder).glob(pattern)) if Path(folder).is_dir() else []


def move(src: Path, dest: Path) -> Path:
    """Move a folder or file to ``dest`` (same file system), creating dest's parent."""
    with writing(dest, "moving into"):
        Path(dest).parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dest)
    return Path(dest)


def read_json(path: Path) -> Any:
    """A JSON file's content; FileNotFoundError if absent, ValueError if not JSON."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


class _QuietFileHandler(logging.FileHandler):
    """A log file that, once the disk refuses it, stops writing instead of printing tracebacks."""

    def handleError(self, record: logging.LogRecord) -> None:
        self.close()
        for name in logging.root.manager.loggerDict:
            logging.getLogger(name).removeHandler(self)


def open_log(folder: Path, stem: str) -> tuple[Path, logging.Handler]:
    """A new log file ``<folder>/<stem>-<time>-<pid>.log`` and a handler writing to it."""
    with writing(folder, "creating the log in"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        path = Path(folder) / f"{stem}-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}.log"
        handler = _QuietFileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    return path, handler


def user_cache_dir() -> Path:
    """Where the tool caches across builds (per user, like matplotlib's font cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "fundanalysis"


def cached_text(name: str, make: Callable[[], str]) -> str:
    """A text from the user cache, made (and cached) when missing; a read-only home only loses
    the cache."""
    path = user_cache_dir() / name
    try:
        return path.read_text(encoding="ascii")
    except OSError:
        text = make()
        with contextlib.suppress(OSError, StorageError):
            write_text(path, text)
        return text


def private_dir(prefix: str) -> Path:
    """A new folder in the system's temporary folder that only the user can open (mode 0700),
    e.g. for a Jupyter kernel's connection file and IPC sockets."""
    return Path(tempfile.mkdtemp(prefix=prefix))


def remove_private_dir(folder: Path, prefix: str) -> None:
    """Remove a folder :func:`private_dir` made with ``prefix`` (any other folder is left alone)."""
    folder = Path(folder)
    if folder.name.startswith(prefix) and folder.is_dir() and not folder.is_symlink():
        shutil.rmtree(folder, ignore_errors=True)
