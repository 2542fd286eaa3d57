"""Offline verifier for the public log: no server, no Django.

Usage (``python -m gongyi.ledger.translog.verify``, or ``python verify.py``; hashes in hex or
base64; proofs comma- or space-separated)::

    verify inclusion --leaf-hash H --index I --size N --root R --proof H1,H2,...
    verify inclusion --entry-file ENTRY --index I --size N --root R --proof H1,H2,...
    verify consistency --size1 M --size2 N --root1 R1 --root2 R2 --proof H1,H2,...
    verify checkpoint --public-key KEY --checkpoint-file FILE [--signature SIG] [--origin O]

Exit status: 0 and "OK ..." when the evidence checks out, 1 and "FAIL <reason>" when it does
not, 2 and "ERROR <reason>" when the input is malformed (a hash that is not 32 bytes of hex or
base64, a bad number, key or file).

This file imports only the standard library, ``cryptography`` and ``merkle.py``; the two files
can be copied next to each other and run as ``python verify.py ...``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from cryptography.exceptions import InvalidSignature

try:
    from . import merkle
except ImportError:  # run as a plain script next to merkle.py
    import merkle  # type: ignore[no-redef]

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Malformed input: exit 2."""


def _hash(text: str, what: str, size: int = merkle.HASH_SIZE) -> bytes:
    try:
        value = merkle.decode_hash(text)
    except ValueError as exc:
        raise UsageError(f"{what}: {exc}") from exc
    if len(value) != size:
        raise UsageError(f"{what}: {len(value)} bytes, expected {size} ({text!r})")
    return value


def _proof(text: str | None) -> list[bytes]:
    if text is None:
        return []
    items = [p for p in text.replace(",", " ").split() if p]
    return [_hash(p, f"proof[{i}]") for i, p in enumerate(items)]


def _count(text: str) -> int:
    s = text.strip()
    if not s.isascii() or not s.isdigit():
        raise argparse.ArgumentTypeError(f"not a non-negative integer: {text!r}")
    return int(s)


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {what} {path!r}: {exc.strerror or exc}") from exc


def _public_key(value: str):
    """A key file path (PEM, raw 32 bytes, hex, base64, note verifier key) or the key text itself."""
    p = Path(value)
    data: bytes | str = _read(value, "public key file") if p.is_file() else value
    if isinstance(data, bytes) and len(data) != 32:
        data = data.decode("utf-8", errors="replace").strip()
    try:
        return merkle.load_public_key(data)
    except ValueError as exc:
        raise UsageError(f"public key: {exc}") from exc


def _cmd_inclusion(args: argparse.Namespace) -> str:
    if args.entry_file is not None:
        lh = merkle.leaf_hash(_read(args.entry_file, "entry file"))
    else:
        lh = _hash(args.leaf_hash, "leaf hash")
    root = _hash(args.root, "root")
    proof = _proof(args.proof)
    merkle.verify_inclusion(args.index, args.size, lh, proof, root)
    return f"OK leaf {args.index} (hash {lh.hex()}) is in the tree of size {args.size} with root {root.hex()}"


def _cmd_consistency(args: argparse.Namespace) -> str:
    root1 = _hash(args.root1, "root1")
    root2 = _hash(args.root2, "root2")
    proof = _proof(args.proof)
    merkle.verify_consistency(args.size1, args.size2, root1, root2, proof)
    return (
        f"OK the tree of size {args.size2} (root {root2.hex()}) extends "
        f"the tree of size {args.size1} (root {root1.hex()})"
    )


def _parse_checkpoint(text: str) -> tuple[merkle.Checkpoint, str, list[str]]:
    """(checkpoint, signed body, extension lines): C2SP checkpoints may carry extension lines after
    the root (the live log signs a ``time`` line there); they are part of the signed body."""
    body, _sigs = merkle.split_note(text)
    lines = body[:-1].split("\n")
    extensions = lines[3:]
    if any(not line for line in extensions):
        raise ValueError("checkpoint extension lines must not be empty")
    return merkle.Checkpoint.parse("\n".join(lines[:3]) + "\n"), body, extensions


def _cmd_checkpoint(args: argparse.Namespace) -> str:
    key = _public_key(args.public_key)
    raw = _read(args.checkpoint_file, "checkpoint file")
    try:
        text = raw.decode("utf-8")
        cp, body, extensions = _parse_checkpoint(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"checkpoint file: {exc}") from exc
    if args.signature is not None:
        sig = _hash(args.signature, "signature", size=64)
        if extensions:
            try:
                key.verify(sig, body.encode())
            except InvalidSignature as exc:
                raise merkle.SignatureError(
                    f"checkpoint signature does not verify for {cp.origin} size {cp.size}"
                ) from exc
        else:
            merkle.verify_checkpoint_signature(key, cp, sig)
        signer = "the given signature"
    else:
        merkle.open_note(text, key, args.key_name)
        signer = "a signature by this key"
    if args.origin is not None and cp.origin != args.origin:
        raise merkle.VerificationError(f"checkpoint origin is {cp.origin!r}, expected {args.origin!r}")
    shown = "".join(f" [{line}]" for line in extensions)
    return f"OK checkpoint {cp.origin} size {cp.size} root {cp.root.hex()}{shown} ({signer} verifies)"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own exit status for usage errors is 2 as well
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m gongyi.ledger.translog.verify",
        description="Check the public log's proofs and checkpoints offline (RFC 6962/9162, C2SP checkpoint).",
    )
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    inc = sub.add_parser("inclusion", help="leaf inclusion proof")
    leaf = inc.add_mutually_exclusive_group(required=True)
    leaf.add_argument("--leaf-hash", help="SHA-256(0x00 || entry), hex or base64")
    leaf.add_argument("--entry-file", help="file holding the entry's exact bytes (its leaf hash is computed)")
    inc.add_argument("--index", type=_count, required=True, help="leaf index, from 0")
    inc.add_argument("--size", type=_count, required=True, help="tree size")
    inc.add_argument("--root", required=True, help="root hash of the tree of that size")
    inc.add_argument("--proof", help="audit path hashes, comma- or space-separated (empty for size 1)")
    inc.set_defaults(func=_cmd_inclusion)

    con = sub.add_parser("consistency", help="consistency proof between two tree heads")
    con.add_argument("--size1", type=_count, required=True)
    con.add_argument("--size2", type=_count, required=True)
    con.add_argument("--root1", required=True)
    con.add_argument("--root2", required=True)
    con.add_argument("--proof", help="proof hashes, comma- or space-separated (empty for equal sizes)")
    con.set_defaults(func=_cmd_consistency)

    chk = sub.add_parser("checkpoint", help="signed checkpoint (tree head)")
    chk.add_argument(
        "--public-key",
        required=True,
        help="Ed25519 public key or a file holding it: PEM, raw 32 bytes, hex, base64, or note verifier key",
    )
    chk.add_argument("--checkpoint-file", required=True, help="signed note, or bare body with --signature")
    chk.add_argument("--signature", help="detached 64-byte Ed25519 signature over the body, hex or base64")
    chk.add_argument("--key-name", help="only accept signature lines under this key name")
    chk.add_argument("--origin", help="require this origin (log name)")
    chk.set_defaults(func=_cmd_checkpoint)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        message = args.func(args)
    except UsageError as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return EXIT_USAGE
    except merkle.VerificationError as exc:
        print(f"FAIL {exc}")
        return EXIT_FAIL
    print(message)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
