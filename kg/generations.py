"""Generations of an on-disk store: how a write that must be all or nothing is switched in.

A store path that has been written by a staged write (:func:`staged`) is a symbolic link to the
current *generation*, a RocksDB directory in the store's *home*, a hidden folder beside it::

    hvp-store -> .hvp-store.hvp/gen-3
    .hvp-store.hvp/  gen-3/  lock

A staged write makes a hard-link checkpoint of the current generation (``Store.backup``: well
under a second, whatever the store's size), applies every write to it, flushes it, and then
switches the link with one atomic ``rename`` -- the commit point. The old generation is removed
afterwards. A store of the first layout (the path is the RocksDB directory itself) opens as it is;
its first staged write moves it into the home as ``gen-0`` and links the path to the new
generation. Whatever is killed when, the path names either the old data or the new:

* killed before the switch: the link (or the directory) still names the old generation; the
  staging generation and temporary files in the home are removed by the next :func:`recover`;
* killed between moving a first-layout store to ``gen-0`` and linking the path: the path is
  missing and ``gen-0`` holds the old data; :func:`recover` links the path to it;
* killed after the switch: the old generation is left in the home and removed by :func:`recover`.

Beside the current generation ``gen-N`` the home may keep its *base*, ``data-N``: a hard-link
checkpoint of ``gen-N`` taken when a staged write of data ended, before anything derived from the
data (classifications, indicator cubes) was written to ``gen-N``, except the timelines
(:mod:`kg.classify.timeline`): their invalidation is exact, so they are kept in the base too and
written to both (:func:`kg.store.base_beside`), and an ingest finds them in place. The next
staged write of data starts from the base instead of the current generation, so the derived
graphs are gone without deleting their quads one by one (about 20,000 quads/s; many minutes at
a million patents). A
write of data made outside a staged write removes the base (:func:`forget_base`): the base is
then no longer the current data, and the next staged write starts from ``gen-N`` and drops the
derived graphs itself. The home also keeps ``ident-N``, the identity of ``gen-N``'s data
(:func:`ident`), which a staged write of derived graphs carries and any write of data changes.

A writer holds an exclusive ``flock`` on ``HOME/lock`` from the checkpoint to the end of the
switch, so :func:`recover` in another process never removes a generation being staged or just
switched in; the kernel drops the lock when the writer dies, SIGKILL included.

A reader holds a :class:`Lease` on the generation it opened: a shared ``flock`` on
``HOME/lease-N`` for as long as it may read ``gen-N``. :func:`recover` leaves a leased
generation (and what the home keeps for it) in place, whatever switched in since: the web app's
request threads, its page and query workers, and a command run beside ``hvp serve`` go on
reading the generation they opened while a write switches in the next. The last reader to let
go of an old generation removes it (:func:`recover`, as the lease ends).
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import shutil
import tempfile
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from kg.errors import StoreError

GENERATION = re.compile(r"gen-([0-9]+)")
BASE = re.compile(r"data-([0-9]+)")
ANSWERS = re.compile(r"answers-([0-9]+)")
SEARCH = re.compile(r"search-([0-9]+)")
IDENT = re.compile(r"ident-([0-9]+)")
LOCK = "lock"
#: The file a running ``hvp serve`` keeps locked (:func:`serve_lock`) for as long as it serves.
SERVING = "serving"
#: The query permalinks (kg.permalinks), kept in the home whatever the generation.
PERMALINKS = "permalinks.sqlite"


def home(path: Path) -> Path:
    """The folder beside a store that holds its generations and temporary files."""
    return path.parent / f".{path.name}.hvp"


def current(path: Path) -> Path | None:
    """The generation a store path links to, or None for a first-layout or missing store."""
    if not path.is_symlink():
        return None
    target = Path(os.readlink(path))
    if target.parent.name != home(path).name or not GENERATION.fullmatch(target.name):
        return None  # a link the user made to a store elsewhere: not one of ours
    return home(path) / target.name


def resolve(path: Path) -> Path:
    """The store a path names: a link that the user made to a store elsewhere is followed (so
    that the store's generations live beside the store, and the user's link stays as it is)."""
    if path.is_symlink() and current(path) is None:
        return Path(os.path.realpath(path))
    return path


def recover(path: Path) -> None:
    """Bring a store that a killed write left behind to its old or its new state, and remove
    what that write left (staging and old generations, temporary files). Nothing to do for a
    store without a home; nothing done while another process is writing it."""
    folder = home(path)
    if not folder.is_dir():
        return
    with _locked(folder, wait=False) as mine:
        if not mine:
            return  # a writer is at work: what is in the home is its own
        if not os.path.lexists(path) and (folder / "gen-0").is_dir():
            _link(path, folder / "gen-0")  # killed while moving a first-layout store
        keep = current(path)
        if path.is_symlink() and keep is not None and not keep.is_dir():
            raise StoreError("the store %(path)s links to %(keep)s, which is missing: the "
                             "store's data is gone; remove the link %(path)s to start a new "
                             "store", path=path, keep=keep)
        held = [keep] if keep is not None else []
        held += [entry for entry in folder.iterdir()
                 if GENERATION.fullmatch(entry.name) and entry != keep
                 and _in_use(_kept_for(entry, "lease"))]
        spared = {kept for generation in held for kept in [generation, *derived_of(generation)]}
        for entry in folder.iterdir():
            if entry.name in (LOCK, SERVING) or entry.name.startswith(PERMALINKS) \
                    or entry in spared or _in_use(entry):
                continue
            if entry.name == "gen-0" and keep is None and path.is_dir():
                continue  # a first-layout store beside a gen-0 it did not make: not ours to drop
            _remove(entry)


def _kept_for(generation: Path, kind: str) -> Path:
    """What the home keeps for a generation besides it: ``data-N`` (its base), ``answers-N``
    or ``search-N`` (its text index, :mod:`kg.search`)."""
    number = GENERATION.fullmatch(generation.name)
    assert number is not None
    return generation.parent / f"{kind}-{number.group(1)}"


def answers(path: Path) -> Path | None:
    """The folder of canned-query answers kept for the current generation's data
    (:mod:`kg.answers`), or None for a store without generations. ``path`` may also be a
    staging generation itself (:func:`_generation`)."""
    generation = _generation(path)
    return _kept_for(generation, "answers") if generation is not None else None


def search(path: Path) -> Path | None:
    """The text index kept for the current generation's data (:mod:`kg.search`; the file may
    be missing), or None for a store without generations."""
    generation = _generation(path)
    return _kept_for(generation, "search") if generation is not None else None


def _generation(path: Path) -> Path | None:
    """The generation a store path links to; or ``path`` itself when it is a generation in a
    home (a staged write's store: what it keeps goes with it, :func:`carry`)."""
    if GENERATION.fullmatch(path.name) and path.parent.name.startswith(".") \
            and path.parent.name.endswith(".hvp") and not path.is_symlink():
        return path
    return current(path)


def carry(path: Path, staged: Path) -> None:
    """A staged write of derived graphs only (the data unchanged): the current generation's
    base, kept answers and text index hold for ``staged`` too, and are given to it as hard
    links (nothing of the current generation moves: a write killed before its switch leaves
    it whole). Call inside :func:`writing`, before :func:`switch`."""
    generation = current(path)
    if generation is None:
        return
    for kind in ("data", "answers", "search", "ident"):
        source, target = _kept_for(generation, kind), _kept_for(staged, kind)
        if source.is_file() and not target.exists():
            os.link(source, target)
        elif source.is_dir() and kind == "answers":
            target.mkdir(exist_ok=True)
            for entry in source.iterdir():
                if entry.is_file() and not entry.name.startswith(".part-") \
                        and not (target / entry.name).exists():
                    os.link(entry, target / entry.name)
        elif source.is_dir() and not target.exists():  # a base: RocksDB's own checkpoint
            shutil.copytree(source, target, copy_function=os.link)


def search_for(staged: Path) -> Path:
    """Where the text index of a staged generation goes (written before the switch)."""
    return _kept_for(staged, "search")


def base(path: Path) -> Path | None:
    """The base of the store's current generation (its data as a staged write left it, with
    nothing derived), or None."""
    generation = current(path)
    found = _kept_for(generation, "data") if generation is not None else None
    return found if found is not None and found.is_dir() else None


def derived_of(generation: Path) -> list[Path]:
    """What the home keeps for a generation besides it: its base, its kept answers, its text
    index, the identity of its data (:func:`ident`) and its readers' lease file
    (:class:`Lease`)."""
    return [_kept_for(generation, "data"), _kept_for(generation, "answers"),
            _kept_for(generation, "search"), _kept_for(generation, "ident"),
            _kept_for(generation, "lease")]


class Lease:
    """A reader's hold on the generation a store path links to, for as long as this object
    lives (or until :meth:`release`): :func:`recover` does not remove a leased generation, so a
    reader never loses the files under it when a write switches in the next one. ``generation``
    is the directory to open: the generation the path linked to when the lease was taken, or
    the path itself for a store without generations (nothing to hold). Copies of a store that
    share its engine share its lease; the last reader of an old generation to let go removes
    it."""

    def __init__(self, path: Path) -> None:
        self.generation = path
        self._finalizer: weakref.finalize | None = None  # type: ignore[type-arg]
        for _ in range(100):  # a switch between reading the link and holding the lease
            generation = current(path)
            if generation is None:
                return
            file = _kept_for(generation, "lease")
            try:
                fd = os.open(file, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError:
                return  # a home this process cannot write (a read-only medium): no writer either
            fcntl.flock(fd, fcntl.LOCK_SH)
            if current(path) == generation and generation.is_dir() and _same_file(fd, file):
                self.generation = generation
                self._finalizer = weakref.finalize(self, _let_go, fd, path, generation)
                self._finalizer.atexit = False  # the process's end lets go of every lock
                return
            os.close(fd)  # switched meanwhile (and the old lease file maybe removed): again
        raise StoreError("the store %(path)s changed generation 100 times while being opened: "
                         "stop the process writing it in a loop", path=path)

    def release(self) -> None:
        """Let go of the generation now (the last reader of an old one removes it)."""
        if self._finalizer is not None:
            self._finalizer()


def _same_file(fd: int, file: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(file))
    except OSError:
        return False


def _let_go(fd: int, path: Path, generation: Path) -> None:
    os.close(fd)
    if current(path) != generation:  # an old generation: removed if no other reader holds it
        with suppress(OSError, StoreError):
            recover(path)


def ident(path: Path) -> str:
    """The identity of the data of the store's generation (``path``: the store's path or a
    staging generation), "" for a store without generations: what a derived graph that must
    follow the data exactly (a timeline, :mod:`kg.classify.timeline`) says it was computed
    from. Kept in ``ident-N`` beside ``gen-N``, made on first use (the name of the base when
    there is one, else a random token); it goes with every staged write of derived graphs
    (:func:`carry_ident`), not with a staged write of data, and a write of data outside a
    staged write removes it (:func:`forget_base`)."""
    generation = _generation(path)
    if generation is None:
        return ""
    return _made(_kept_for(generation, "ident"), generation)


def _made(file: Path, generation: Path) -> str:
    """The token in ``file``, written first if missing (the first process's token wins); ""
    when it cannot be written."""
    for _ in range(5):  # recover() in another process may remove the unlocked temporary file
        try:
            return file.read_text(encoding="ascii")
        except FileNotFoundError:
            pass
        except OSError:  # a file this process may not read: no identity known
            return ""
        data = _kept_for(generation, "data")
        token = data.name if data.is_dir() else f"data-{secrets.token_hex(8)}"
        try:
            fd, name = tempfile.mkstemp(prefix=".ident-", dir=file.parent)
        except OSError:  # a home this process may not write: no identity known
            return ""
        try:
            os.fchmod(fd, 0o644)  # readable as the store's other files are
            os.write(fd, token.encode("ascii"))
            os.close(fd)
            with suppress(OSError):  # e.g. made meanwhile by another process
                os.link(name, file)
        finally:
            with suppress(FileNotFoundError):
                os.unlink(name)
    with suppress(FileNotFoundError):
        return file.read_text(encoding="ascii")
    return ""


def carry_ident(path: Path, staged: Path) -> None:
    """A staged write of derived graphs only reads the same data as the store's current
    generation: ``staged`` is given its identity (:func:`ident`) before the write starts, so
    what it computes there says so (a current generation that has none yet gets none: the
    stage's is made as the current one's would be)."""
    generation = current(path)
    if generation is None:
        return
    source, target = _kept_for(generation, "ident"), _kept_for(staged, "ident")
    with suppress(FileExistsError, FileNotFoundError):
        os.link(source, target)
    _made(target, generation)


def base_for(staged: Path) -> Path:
    """Where the base of a staged generation goes (made before the switch: a killed write's
    base is removed by :func:`recover` with its generation)."""
    return _kept_for(staged, "data")


def forget_base(path: Path) -> None:
    """Data was written outside a staged write: remove the store's base, and the answers, the
    text index and the identity kept for its data (:func:`answers`, :func:`search`,
    :func:`ident`)."""
    _forget(path, BASE, ANSWERS, SEARCH, IDENT)


def forget_answers(path: Path) -> None:
    """A derived graph was written: remove the answers kept for the store (they may have read
    it), not its base."""
    _forget(path, ANSWERS)


def _forget(path: Path, *kinds: re.Pattern[str]) -> None:
    folder = home(path)
    if folder.is_dir():
        for entry in folder.iterdir():
            if any(kind.fullmatch(entry.name) for kind in kinds):
                _remove(entry)


def remove(path: Path) -> None:
    """Remove a store entirely: its link or directory, and its home."""
    if path.is_symlink():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    shutil.rmtree(home(path), ignore_errors=True)


def scratch(path: Path) -> Path:
    """A folder for a write's temporary files: the store's home, which :func:`recover` empties
    of everything but the current generation (so a killed write's files do not outlive it)."""
    folder = home(path)
    folder.mkdir(exist_ok=True)
    return folder


@contextmanager
def temporary(path: Path, suffix: str, *, folder: Path | None = None) -> Iterator[Path]:
    """A temporary file in the store's home (``folder``: the home already known, for a
    generation or base in it), removed on every exit path. It is locked while it exists, so
    that :func:`recover` in another process (a command run meanwhile) leaves it alone; once its
    process is gone, the lock is too, and the next recover removes it."""
    fd, name = tempfile.mkstemp(suffix=suffix, prefix="ingest-", dir=folder or scratch(path))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield Path(name)
    finally:
        with suppress(FileNotFoundError):
            os.unlink(name)
        os.close(fd)


@contextmanager
def writing(path: Path) -> Iterator[Path]:
    """Hold the store's write lock; yield a fresh path for the staging generation."""
    folder = scratch(path)
    with _locked(folder, wait=False) as mine:
        if not mine:
            raise StoreError("the store %(path)s is being written by another process (an `hvp "
                             "ingest`?): wait for it to finish", path=path)
        numbers = [int(m.group(1)) for e in folder.iterdir()
                   if (m := GENERATION.fullmatch(e.name))]
        yield folder / f"gen-{max(numbers, default=0) + 1}"


def switch(path: Path, staged: Path) -> Path | None:
    """Make ``path`` name the generation ``staged`` (the commit point: one atomic rename).
    Returns what the path named before (to remove), or None. The store at ``path`` must be
    closed by this process first; call inside :func:`writing`."""
    old = current(path)
    if old is not None or not path.is_dir():
        _link(path, staged)
        return old
    old = home(path) / "gen-0"
    os.rename(path, old)  # the first layout moves into the home; recover() links it back
    try:
        _link(path, staged)
    except BaseException:
        os.rename(old, path)
        raise
    return old


def _link(path: Path, target: Path) -> None:
    tmp = home(path) / "link.tmp"
    with suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(os.path.join(target.parent.name, target.name), tmp)
    os.replace(tmp, path)
    _sync(path.parent)


def _sync(folder: Path) -> None:
    """Make a rename in ``folder`` durable (power loss, not only a killed process)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _in_use(entry: Path) -> bool:
    """Whether a temporary file is locked by the process writing it (:func:`temporary`)."""
    if entry.is_dir() or entry.is_symlink():
        return False
    try:
        fd = os.open(entry, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def discard(entry: Path) -> None:
    """Remove a generation (or any folder of the home): first renamed out of the ``gen-N``
    names in one step, so that a removal killed half-way never leaves a part of a store under a
    name that recovery would link the store to (``gen-0``)."""
    trash = entry.with_name(f"trash-{entry.name}")
    with suppress(FileNotFoundError):
        os.rename(entry, trash)
    if trash.is_file():  # a generation's search index
        trash.unlink()
    else:
        shutil.rmtree(trash, ignore_errors=True)


def _remove(entry: Path) -> None:
    if entry.is_dir() and not entry.is_symlink():
        discard(entry)
    else:
        with suppress(FileNotFoundError):
            entry.unlink()


def serve_lock(path: Path) -> int:
    """Lock the serving file of the store at ``path`` for this process's life (the descriptor,
    which the caller keeps open). The server's own RocksDB lock moves from generation to
    generation: between its writer process closing a new generation and the server opening it,
    the store's lock is free for a moment, and a command beside the server must still see it.
    A POSIX record lock (``lockf``), so that ``F_GETLK`` names the holder
    (:func:`kg.store.holder_of`)."""
    folder = home(path)
    folder.mkdir(exist_ok=True)
    fd = os.open(folder / SERVING, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise
    return fd


@contextmanager
def locked(path: Path) -> Iterator[bool]:
    """Hold the store's write lock if no other writer does: yields whether it is held (a write
    beside the store's generation, to its base, made only while no staged write runs)."""
    folder = home(path)
    if not folder.is_dir():
        yield False
        return
    with _locked(folder, wait=False) as mine:
        yield mine


@contextmanager
def _locked(folder: Path, *, wait: bool) -> Iterator[bool]:
    fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)
