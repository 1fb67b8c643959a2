"""Cases about containers: archive kinds, member names and kinds, corruption, caps (EXP-01..13)."""

from __future__ import annotations

import tarfile
import unicodedata

from bases import full, minimal
from registry import Expect, case, shown
from rexgen import Member, gzip_bytes, tar_bytes, tar_of, zip_bytes, zip_of

# --- each kind, as the usual tools write it --------------------------------------------------


@case("valid", "archives", "tar", "a plain tar of the full export", ["EXP-01", "EXP-13"])
def _tar(x: Expect) -> dict[str, bytes]:
    """The full export as a plain ustar tar; nothing else changed."""
    return {"export.tar": tar_of(full())}


@case("valid", "archives", "tar-gz-dot-prefix", "tar -czf run.tgz . : ./ names and directories",
      ["EXP-01", "EXP-12"])
def _targz(x: Expect) -> dict[str, bytes]:
    """The full export as a tar.gz written like `tar -czf run.tgz .`: ./ names and directory
    members."""
    return {"export.tar.gz": gzip_bytes(tar_of(full(), prefix="./", directories=True))}


@case("valid", "archives", "tgz", "the .tgz suffix", ["EXP-01"])
def _tgz(x: Expect) -> dict[str, bytes]:
    """The minimal export as a tar.gz named export.tgz."""
    return {"export.tgz": gzip_bytes(tar_of(minimal()))}


@case("valid", "archives", "zip-deflated", "zip -r with directory members, deflated",
      ["EXP-01", "EXP-12"])
def _zip(x: Expect) -> dict[str, bytes]:
    """The full export as a deflated zip with directory members, as `zip -r` writes it."""
    return {"export.zip": zip_of(full(), directories=True)}


@case("valid", "archives", "zip-stored", "a zip whose members are stored", ["EXP-01"])
def _zip_stored(x: Expect) -> dict[str, bytes]:
    """The minimal export as a zip whose members are stored, not deflated."""
    return {"export.zip": zip_of(minimal(), deflate=False)}


@case("valid", "archives", "zip64", "a zip with Zip64 extensions", ["EXP-13"])
def _zip64(x: Expect) -> dict[str, bytes]:
    """The minimal export as a stored zip whose members carry Zip64 extra fields."""
    return {"export.zip": zip_bytes(minimal().members(), zip64=True)}


@case("valid", "archives", "pax-long-name", "a pax path record gives a long member name",
      ["EXP-13"])
def _pax(x: Expect) -> dict[str, bytes]:
    """The minimal export plus an indexed file under a 157-byte path, as a pax tar (a path record);
    re-sealed."""
    e = minimal()
    e.add("data/" + "a-very-long-folder-name/" * 6 + "iris.csv", b"a,b\n", "text/csv", "data")
    return {"export.tar": tar_of(e.index().seal(), fmt=tarfile.PAX_FORMAT)}


@case("valid", "archives", "gnu-long-name", "a GNU L member gives a long member name",
      ["EXP-13"])
def _gnu(x: Expect) -> dict[str, bytes]:
    """The minimal export plus an indexed file under a 157-byte path, as a GNU tar (an L member);
    re-sealed."""
    e = minimal()
    e.add("data/" + "a-very-long-folder-name/" * 6 + "iris.csv", b"a,b\n", "text/csv", "data")
    return {"export.tar": tar_of(e.index().seal(), fmt=tarfile.GNU_FORMAT)}


@case("invalid", "archives", "pax-path-record-read", "a pax path record names the member, not "
      "the ustar name", ["EXP-13", "EXP-08"])
def _pax_path_read(x: Expect) -> dict[str, bytes]:
    """The minimal export as a pax tar with one more member, its ustar name data/ok.txt and its
    pax path record ../evil.sh."""
    import io

    buffer = io.BytesIO()
    members = [*minimal().members(), Member("data/ok.txt", b"hostile\n")]
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for member in members:
            info = tarfile.TarInfo(member.name)
            info.size, info.mtime, info.mode = len(member.data), 1768471200, 0o644
            if member.name == "data/ok.txt":
                info.pax_headers = {"path": "../evil.sh"}  # what every reader of pax must take
            tar.addfile(info, io.BytesIO(member.data))
    x.find("REX-X101", "", "../evil.sh")
    return {"export.tar": buffer.getvalue()}


@case("invalid", "archives", "gnu-long-name-read", "a GNU long name names the member",
      ["EXP-13", "IDX-02"])
def _gnu_long_name_read(x: Expect) -> dict[str, bytes]:
    """The minimal export as a GNU tar with one more member under a 157-byte name, which the
    index does not list."""
    long_name = "data/" + "a-very-long-folder-name/" * 6 + "extra.csv"
    x.find("REX-C103", "", long_name)
    members = [*minimal().members(), Member(long_name, b"a,b\n")]
    return {"export.tar": tar_bytes(members, fmt=tarfile.GNU_FORMAT)}


@case("valid", "archives", "pax-global-header", "a pax global header is ignored", ["EXP-13"])
def _pax_global(x: Expect) -> dict[str, bytes]:
    """The minimal export as a pax tar opening with a global header, each member with mtime and
    uname records."""
    import io

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT,
                      pax_headers={"comment": "made for the conformance suite"}) as tar:
        for member in minimal().members():
            info = tarfile.TarInfo(member.name)
            info.size, info.mtime, info.mode = len(member.data), 1768471200, 0o644
            info.pax_headers = {"mtime": "1768471200.5", "uname": "someone"}
            tar.addfile(info, io.BytesIO(member.data))
    return {"export.tar": buffer.getvalue()}


def _pax_global_identity(name: str, description: str, records: dict[str, str],
                        kind: str) -> None:
    @case("invalid", "archives", name, description, ["EXP-14"],
          mutation=f"the minimal export as a .{kind} opened by a pax global header with the "
                   f"records {shown(records)}")
    def build(x: Expect) -> dict[str, bytes]:
        # GNU tar and Python's tarfile would apply the record to every member that follows
        x.find("REX-X120", "")
        data = tarfile.TarInfo.create_pax_global_header(records) + tar_of(minimal())
        return {"export.tar": data} if kind == "tar" else {"export.tar.gz": gzip_bytes(data)}


_pax_global_identity("pax-global-path", "a pax global header renames every member",
                     {"path": "evil.sh"}, "tar")
_pax_global_identity("pax-global-size", "a pax global header resizes every member",
                     {"size": "1"}, "tar.gz")
_pax_global_identity("pax-global-linkpath", "a pax global header gives every member a link",
                     {"linkpath": "/etc/passwd", "comment": "x"}, "tar")


@case("valid", "archives", "gzip-multi-member", "a gzip stream of two members is one tar",
      ["EXP-13"])
def _multi(x: Expect) -> dict[str, bytes]:
    """The full export as a tar.gz whose tar is cut at byte 4096 into two gzip members."""
    tar = tar_of(full())
    return {"export.tar.gz": gzip_bytes(tar[:4096]) + gzip_bytes(tar[4096:])}


@case("valid", "archives", "odd-times-and-owners",
      "member times, owners and modes carry no meaning", ["EXP-13"])
def _odd(x: Expect) -> dict[str, bytes]:
    """The minimal export as a tar whose members have varied times, owners, groups and modes 0600
    and 0777."""
    import io

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for n, member in enumerate(minimal().members()):
            info = tarfile.TarInfo(member.name)
            info.size, info.mtime = len(member.data), n * 1_000_000_000
            info.uid, info.gid, info.uname, info.gname = 1000 + n, 50, "alice", "staff"
            info.mode = (0o600, 0o777)[n % 2]
            tar.addfile(info, io.BytesIO(member.data))
    return {"export.tar": buffer.getvalue()}


@case("valid", "archives", "empty-directory-member", "an empty directory member is ignored",
      ["EXP-12", "IDX-02"])
def _empty_dir(x: Expect) -> dict[str, bytes]:
    """The minimal export as a zip with directory members plus an empty scratch/ directory
    member."""
    return {"export.zip": zip_of(minimal(), directories=True,
                                 extra=[Member("scratch/", kind="dir")])}


@case("valid", "archives", "suffix-upper-case", "archive suffixes are case-insensitive",
      ["EXP-01"], input="export.ZIP")
def _upper(x: Expect) -> dict[str, bytes]:
    """The minimal export as a zip named export.ZIP."""
    return {"export.ZIP": zip_of(minimal())}


@case("invalid", "archives", "directory-archived", "tar of the folder: run/rex.json is not at root",
      ["EXP-02"])
def _nested(x: Expect) -> dict[str, bytes]:
    """The minimal export as a tar.gz of its folder: every member under run/, after a run/
    directory member."""
    x.find("REX-C101")
    members = minimal().members()
    for member in members:
        member.name = "run/" + member.name
    return {"export.tar.gz": gzip_bytes(tar_bytes([Member("run/", kind="dir"), *members]))}


@case("invalid", "archives", "manifest-upper-case", "REX.json is not the manifest", ["EXP-02"])
def _upper_manifest(x: Expect) -> dict[str, bytes]:
    """The minimal export as a tar whose manifest member is renamed REX.json."""
    x.find("REX-C101")
    members = minimal().members()
    members[0].name = "REX.json"
    return {"export.tar": tar_bytes(members)}


# --- member names (EXP-08, EXP-12) -----------------------------------------------------------


def _hostile_name(name: str, description: str, code: str, member: str, *,
                  kind: str = "tar", written: str | None = None) -> None:
    """A case of one hostile member name; ``written`` is the name as a report's ``file`` gives
    it, escaped and cut (VAL-06), where it differs from the name."""
    @case("invalid", "archives", name, description, ["EXP-08"] + (["VAL-06"] if written else []),
          mutation=f"The minimal export as a {kind} with one more member, named {shown(member)}.")
    def build(x: Expect) -> dict[str, bytes]:
        # the file a finding names is the member's name after one leading ./ is removed (EXP-12)
        x.find(code, "", written or member.removeprefix("./"))
        members = [*minimal().members(), Member(member, b"hostile\n")]
        if kind == "zip":
            return {"export.zip": zip_bytes(members)}
        return {"export.tar": tar_bytes(members, fmt=tarfile.GNU_FORMAT)}


_hostile_name("member-traversal", "a member named ../evil.sh", "REX-X101", "../evil.sh")
_hostile_name("member-traversal-zip", "a zip member named data/../../evil.sh", "REX-X101",
              "data/../../evil.sh", kind="zip")
_hostile_name("member-absolute", "a member named /etc/cron.d/evil", "REX-X102",
              "/etc/cron.d/evil")
_hostile_name("member-drive-letter", "a member named C:/evil.bat", "REX-X103", "C:/evil.bat",
              kind="zip")
_hostile_name("member-backslash", "a zip member with a backslash", "REX-X104",
              "code\\evil.py", kind="zip")
_hostile_name("member-control-character", "a member name holds a control character",
              "REX-X110", "data/a\x01.csv", written="data/a\\x01.csv")
_hostile_name("member-reserved-name", "a member named data/nul", "REX-X111", "data/nul")
_hostile_name("member-trailing-space", "a member segment ends in a space", "REX-X111",
              "data /a.csv")
_hostile_name("member-double-dot-slash", "a second ./ prefix is not removed", "REX-X116",
              "././code/extra.py")
_hostile_name("member-empty-segment", "a member name with //", "REX-X116", "code//extra.py")
_hostile_name("member-not-nfc", "a member name in NFD", "REX-X117",
              unicodedata.normalize("NFD", "data/caf\u00e9.csv"))
_hostile_name("member-not-utf8", "a tar member name that is not UTF-8", "REX-X110",
              "data/caf\udce9.csv", written="data/caf\\xe9.csv")
_hostile_name("member-too-long", "a member name of 1,100 bytes", "REX-X119",
              "data/" + "x" * 1100, written="data/" + "x" * 194 + "\u2026")


# --- member kinds (EXP-09) and duplicates (EXP-10) -------------------------------------------


_KINDS = {"symlink": "symbolic link", "hardlink": "hard link", "fifo": "FIFO",
          "chardev": "character device"}


def _kind(name: str, description: str, code: str, member: Member, *, kind: str = "tar") -> None:
    link = f" to {member.target}" if member.target else ""

    @case("invalid", "archives", name, description, ["EXP-09"],
          mutation=f"The minimal export as a {kind} with one more member {member.name}, "
                   f"a {_KINDS[member.kind]}{link}.")
    def build(x: Expect) -> dict[str, bytes]:
        x.find(code, "", member.name)
        members = [*minimal().members(), member]
        if kind == "zip":
            return {"export.zip": zip_bytes(members)}
        return {"export.tar": tar_bytes(members)}


_kind("tar-symlink", "a tar symbolic link", "REX-X105",
      Member("data/passwd", kind="symlink", target="/etc/passwd"))
_kind("tar-hardlink", "a tar hard link", "REX-X105",
      Member("code/copy.py", kind="hardlink", target="code/train.py"))
_kind("zip-symlink", "a zip member whose mode is a link", "REX-X105",
      Member("data/passwd", kind="symlink", target="/etc/passwd"), kind="zip")
_kind("tar-fifo", "a tar FIFO", "REX-X106", Member("data/pipe", kind="fifo"))
_kind("tar-device", "a tar character device", "REX-X106", Member("data/zero", kind="chardev"))


@case("invalid", "archives", "link-listed", "an indexed path that is a link in the archive",
      ["EXP-09", "IDX-03"])
def _link_listed(x: Expect) -> dict[str, bytes]:
    """The minimal export plus an indexed data/iris.csv, as a tar in which that member is a
    symbolic link to ../code/train.py; re-sealed."""
    e = minimal()
    e.add("data/iris.csv", b"a,b\n", "text/csv", "data")
    e.index().seal()
    x.find("REX-X105", "", "data/iris.csv")
    x.never("REX-C102")  # refused as a link, not reported a second time as missing (IDX-03)
    members = [m for m in e.members() if m.name != "data/iris.csv"]
    members.append(Member("data/iris.csv", kind="symlink", target="../code/train.py"))
    return {"export.tar": tar_bytes(members)}


@case("invalid", "archives", "duplicate-member", "a tar holds the same name twice", ["EXP-10"])
def _dup_tar(x: Expect) -> dict[str, bytes]:
    """The minimal export as a tar that stores code/train.py a second time at its end."""
    x.find("REX-X107", "", "code/train.py")
    members = minimal().members()
    return {"export.tar": tar_bytes([*members, members[1]])}


@case("invalid", "archives", "duplicate-member-dot-slash", "code/a and ./code/a are one name",
      ["EXP-10", "EXP-12"])
def _dup_prefix(x: Expect) -> dict[str, bytes]:
    """The minimal export as a zip that stores code/train.py again as ./code/train.py."""
    x.find("REX-X107", "", "code/train.py")
    members = minimal().members()
    return {"export.zip": zip_bytes([*members, Member("./code/train.py", members[1].data)])}


@case("invalid", "archives", "case-twins", "two members differ only by case", ["EXP-10"])
def _twins(x: Expect) -> dict[str, bytes]:
    """The minimal export plus results/Model.pkl and results/model.pkl, both indexed, as a tar; re-
    sealed."""
    e = minimal()
    e.add("results/Model.pkl", b"abc", "application/octet-stream", "artifact")
    e.add("results/model.pkl", b"abd", "application/octet-stream", "artifact")
    x.find("REX-X108", "", "results/model.pkl")
    e.index().seal()
    x.find("REX-X108", f"/files/{e.idx('results/model.pkl')}/path", "rex.json")  # index too
    return {"export.tar": tar_of(e)}


@case("invalid", "archives", "nfc-twins", "two members equal after NFC normalisation",
      ["EXP-10"])
def _nfc(x: Expect) -> dict[str, bytes]:
    """The minimal export plus data/café.txt (NFC, indexed), as a zip with one more member, the NFD
    spelling of that name; re-sealed."""
    e = minimal()
    e.add("data/caf\u00e9.txt", b"a", "text/plain", "data")
    members = [*e.index().seal().members(),
               Member(unicodedata.normalize("NFD", "data/caf\u00e9.txt"), b"b")]
    # the later twin by UTF-8 bytes (EXP-10) is the NFC name: 0xC3 sorts after "e" (0x65)
    x.find("REX-X109", "", "data/caf\u00e9.txt")
    x.find("REX-X117", "", members[-1].name)  # every rule a path breaks (EXP-08)
    return {"export.zip": zip_bytes(members)}
