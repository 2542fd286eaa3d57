"""Models of the public log: queued records, leaves, stored subtree hashes, the tree's state, checkpoints.

How a journal entry becomes a leaf:

1. ``post_entry`` calls ``live.append_entry_leaf`` in the entry's own transaction: it writes a
   ``QueuedLeaf`` (the entry's public record, no personal data). Nothing global is locked there,
   so the money path keeps its lock order (see ``live``'s docstring for why).
2. Right after that transaction commits (and every minute from the periodic task), the
   sequencer ``live.integrate_queued_leaves`` locks the one ``TreeState`` row, gives each queued
   record the next leaf index, writes the ``LogLeaf`` and every ``TreeNode`` the append completes,
   and deletes the queued rows — in one transaction.
3. ``live.publish_checkpoint`` signs (origin, size, root, time) as a C2SP signed note
   (``Checkpoint``).

``LogLeaf``, ``TreeNode`` and ``Checkpoint`` are append-only: the database refuses UPDATE and
DELETE on them (migration 0002; on SQLite a delete is allowed only during test-database flushes,
like the ledger's own rows).
"""

from __future__ import annotations

from django.db import models


class QueuedLeaf(models.Model):
    """A posted entry's public record, waiting for its leaf index (usually for milliseconds)."""

    entry = models.OneToOneField(
        "ledger.JournalEntry", on_delete=models.PROTECT, related_name="queued_leaf", verbose_name="分录"
    )
    record = models.TextField("公开记录（规范 JSON，不含序号）")
    queued_at = models.DateTimeField("排队时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "待入日志记录"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"queued entry #{self.entry_id}"


class LogLeaf(models.Model):
    """Leaf ``index`` of the log: the exact bytes hashed (canonical JSON) and their RFC 6962 leaf hash."""

    index = models.BigIntegerField("叶子序号", primary_key=True)
    entry = models.OneToOneField(
        "ledger.JournalEntry", on_delete=models.PROTECT, related_name="log_leaf", verbose_name="分录"
    )
    data = models.BinaryField("叶子内容")
    leaf_hash = models.BinaryField("叶子哈希", max_length=32)
    integrated_at = models.DateTimeField("写入时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "公开日志叶子"
        ordering = ["index"]
        constraints = [models.CheckConstraint(condition=models.Q(index__gte=0), name="log_leaf_index_nonneg")]

    def __str__(self) -> str:
        return f"leaf {self.index}"


class TreeNode(models.Model):
    """Hash of the complete subtree of leaves [index·2^level, (index+1)·2^level); level 0 = leaf hashes."""

    pk = models.CompositePrimaryKey("level", "index")
    level = models.SmallIntegerField("层")
    index = models.BigIntegerField("序号")
    hash = models.BinaryField("哈希", max_length=32)

    class Meta:
        verbose_name = verbose_name_plural = "日志树节点"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__gte=0, level__lte=62, index__gte=0), name="tree_node_position_valid"
            )
        ]

    def __str__(self) -> str:
        return f"node ({self.level}, {self.index})"


class TreeState(models.Model):
    """The one row (pk 1) every append locks: size and the right-edge frontier (O(log n) hashes)."""

    size = models.BigIntegerField("树大小", default=0)
    frontier = models.BinaryField("右边界子树哈希", default=b"")
    root = models.BinaryField("根哈希", max_length=32, default=b"")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "日志树状态"

    def __str__(self) -> str:
        return f"tree of {self.size}"


class Checkpoint(models.Model):
    """A signed tree head, published when the tree grew. ``note`` is exactly what was signed plus the signature."""

    size = models.BigIntegerField("树大小", unique=True)
    root = models.BinaryField("根哈希", max_length=32)
    origin = models.CharField("日志名", max_length=200)
    published_at = models.DateTimeField("签发时间")
    signature = models.BinaryField("Ed25519 签名", max_length=64)
    key_id = models.CharField("密钥编号", max_length=8)
    note = models.TextField("签名文本（C2SP signed note）")

    class Meta:
        verbose_name = verbose_name_plural = "日志检查点"
        ordering = ["-size"]
        constraints = [models.CheckConstraint(condition=models.Q(size__gt=0), name="checkpoint_size_positive")]

    def __str__(self) -> str:
        return f"checkpoint {self.size}"
