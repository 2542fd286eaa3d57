"""The public log's API, mounted at /api/v1/log: checkpoints, leaves, inclusion and consistency proofs.

Hashes, leaves and signatures are standard base64. Proofs are served for any tree size up to
the latest signed checkpoint's; asking beyond it, or for an impossible range, is a 422 naming
the parameter.
"""

from __future__ import annotations

import base64
from datetime import datetime

from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from . import keys, selectors
from .bundle import proof_to_base64

router = Router(tags=["log"])

MAX_COUNT = 2**62  # keeps every number a database can hold; the checks below refuse anything larger than the tree


def _b64(value: bytes) -> str:
    return base64.b64encode(bytes(value)).decode()


class ErrorOut(Schema):
    message: str
    errors: list[dict]


class CheckpointOut(Schema):
    origin: str
    size: int
    root: str = Field(description="根哈希 base64")
    root_hex: str
    time: datetime
    key_id: str
    signature: str = Field(description="Ed25519 签名（64 字节）base64，签名对象为 note 的正文部分")
    note: str = Field(description="C2SP signed note：正文（origin、size、root、time）+ 空行 + 签名行")


class CheckpointListOut(Schema):
    total: int
    offset: int
    checkpoints: list[CheckpointOut]


class PublicKeyOut(Schema):
    algorithm: str
    origin: str
    key_name: str
    key_id: str
    public_key: str = Field(description="Ed25519 公钥（32 字节）base64")
    public_key_hex: str
    public_key_pem: str
    verifier_key: str = Field(description="signed-note 验证密钥 <name>+<key id>+<base64>")


class LeavesOut(Schema):
    start: int
    end: int
    leaves: list[str] = Field(description="叶子原始字节（规范 JSON）base64，按序号排列")


class InclusionOut(Schema):
    index: int
    tree_size: int
    leaf_hash: str
    proof: list[str]
    root: str


class ConsistencyOut(Schema):
    first: int
    second: int
    proof: list[str]
    first_root: str
    second_root: str


def checkpoint_out(checkpoint) -> dict:
    return {
        "origin": checkpoint.origin,
        "size": checkpoint.size,
        "root": _b64(checkpoint.root),
        "root_hex": bytes(checkpoint.root).hex(),
        "time": checkpoint.published_at,
        "key_id": checkpoint.key_id,
        "signature": _b64(checkpoint.signature),
        "note": checkpoint.note,
    }


def _latest_size() -> int:
    checkpoint = selectors.latest_checkpoint()
    return checkpoint.size if checkpoint is not None else 0


@router.get("/checkpoint", response={200: CheckpointOut, 404: ErrorOut}, summary="The latest signed checkpoint")
def latest_checkpoint(request):
    checkpoint = selectors.latest_checkpoint()
    if checkpoint is None:
        raise HttpError(404, "暂无检查点：日志还没有记录")
    return checkpoint_out(checkpoint)


@router.get("/checkpoints", response=CheckpointListOut, summary="Published checkpoints, newest first")
def list_checkpoints(
    request,
    offset: int = Query(0, ge=0, le=MAX_COUNT),
    limit: int = Query(20, ge=1, le=100),
):
    total, page = selectors.checkpoint_page(offset=offset, limit=limit)
    return {"total": total, "offset": offset, "checkpoints": [checkpoint_out(c) for c in page]}


@router.get("/public-key", response=PublicKeyOut, summary="The Ed25519 key that signs checkpoints")
def public_key(request):
    return keys.public_key_info()


@router.get("/leaves", response={200: LeavesOut, 422: ErrorOut}, summary="Leaf bytes [start, end), base64")
def leaves(request, start: int = Query(..., ge=0, le=MAX_COUNT), end: int = Query(..., ge=0, le=MAX_COUNT)):
    if start > end:
        raise HttpError(422, "start: must not be greater than end")
    if end - start > selectors.MAX_LEAVES_PER_REQUEST:
        raise HttpError(422, f"end: at most {selectors.MAX_LEAVES_PER_REQUEST} leaves per request")
    size = _latest_size()
    if end > size:
        raise HttpError(422, f"end: beyond the latest checkpoint's tree size ({size})")
    return {"start": start, "end": end, "leaves": [_b64(d) for d in selectors.leaf_data(start, end)]}


@router.get(
    "/proof/inclusion", response={200: InclusionOut, 422: ErrorOut}, summary="Inclusion proof (RFC 6962 audit path)"
)
def inclusion(
    request,
    index: int = Query(..., ge=0, le=MAX_COUNT),
    tree_size: int | None = Query(None, ge=0, le=MAX_COUNT, description="默认：最新检查点的树大小"),
):
    size = _latest_size()
    tree_size = size if tree_size is None else tree_size
    if tree_size > size:
        raise HttpError(422, f"tree_size: beyond the latest checkpoint's tree size ({size})")
    if index >= tree_size:
        raise HttpError(422, f"index: must be below tree_size ({tree_size})")
    proof = selectors.inclusion_proof(index, tree_size)
    return {
        "index": index,
        "tree_size": tree_size,
        "leaf_hash": _b64(proof.leaf_hash),
        "proof": proof_to_base64(proof.proof),
        "root": _b64(proof.root),
    }


@router.get(
    "/proof/consistency",
    response={200: ConsistencyOut, 422: ErrorOut},
    summary="Consistency proof between two tree sizes (RFC 6962)",
)
def consistency(
    request,
    first: int = Query(..., ge=1, le=MAX_COUNT),
    second: int | None = Query(None, ge=1, le=MAX_COUNT, description="默认：最新检查点的树大小"),
):
    size = _latest_size()
    second = size if second is None else second
    if second > size:
        raise HttpError(422, f"second: beyond the latest checkpoint's tree size ({size})")
    if first > second:
        raise HttpError(422, f"first: must not be greater than second ({second})")
    proof = selectors.consistency_proof(first, second)
    return {
        "first": first,
        "second": second,
        "proof": proof_to_base64(proof.proof),
        "first_root": _b64(proof.first_root),
        "second_root": _b64(proof.second_root),
    }
