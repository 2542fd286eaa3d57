from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gongyi.ledger.translog import merkle
from gongyi.ledger.translog.bundle import BundleError, checkpoint_of, load_bundle, verify_bundle


class Command(BaseCommand):
    help = (
        "Verify a donor's proof bundle (the certificate page's 'download proof'): the checkpoint's signature, "
        "the leaf's inclusion and, with --older or a second checkpoint in the bundle, consistency. "
        "Exit 0 valid, 1 invalid, 2 malformed — the same checks as tools/verify_proof.py."
    )

    def add_arguments(self, parser):
        parser.add_argument("bundle", help="the proof bundle (JSON)")
        parser.add_argument("--older", help="an earlier bundle or signed checkpoint note: the log must extend it")
        key = parser.add_mutually_exclusive_group()
        key.add_argument("--public-key", help="pin the log's Ed25519 key (base64, hex, PEM, verifier key, or a file)")
        key.add_argument("--local-key", action="store_true", help="pin this installation's own signing key")

    def handle(self, *args, bundle, older=None, public_key=None, local_key=False, **options):
        try:
            data = load_bundle(_read(bundle))
            older_note = checkpoint_of(_read(older)) if older else None
            pinned = _key(public_key) if public_key else None
            if local_key:
                from gongyi.ledger.translog.keys import public_key as local_public_key

                pinned = local_public_key()
            report = verify_bundle(data, public_key=pinned, older=older_note)
        except BundleError as exc:
            raise CommandError(f"ERROR {exc}", returncode=2) from exc
        except merkle.VerificationError as exc:
            self.stdout.write(f"INVALID {exc}")
            raise CommandError("the proof bundle is invalid", returncode=1) from exc
        for line in report.lines():
            self.stdout.write(line)


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise BundleError(f"cannot read {path!r}: {exc.strerror or exc}") from exc


def _key(value: str):
    path = Path(value)
    material: bytes | str = value
    try:
        if len(value) < 4096 and path.is_file():
            raw = path.read_bytes()
            material = raw if len(raw) == 32 else raw.decode("utf-8", errors="replace").strip()
    except OSError:
        pass
    try:
        return merkle.load_public_key(material)
    except ValueError as exc:
        raise BundleError(f"public key: {exc}") from exc
