"""Splits a FASTA file (plain or gzip) into contiguous shards of whole records, cut so that each
holds about the same number of sequence letters (the work of scoring). Two passes: the first
counts letters, the second writes. Text before the first header goes to the first shard."""

import gzip


def open_text(path):
    with open(path, "rb") as f:
        magic = f.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def letters_per_record(path):
    """Letters of each record in order (index 0: any text before the first header)."""
    counts = [0]
    with open_text(path) as f:
        for line in f:
            if line.startswith(b">"):
                counts.append(0)
            else:
                counts[-1] += len(line.strip())
    return counts


def split(path, outputs, log):
    counts = letters_per_record(path)
    total = max(sum(counts), 1)
    n = len(outputs)
    files = [open(o, "wb") for o in outputs]
    record, before, shard = 0, 0, 0
    written = [0] * n
    with open_text(path) as f:
        for line in f:
            if line.startswith(b">"):
                before += counts[record]
                record += 1
                # Records are assigned by the letters before them: contiguous, in order.
                shard = min(n - 1, before * n // total)
                written[shard] += 1
            files[shard].write(line)
    for out in files:
        out.close()
    with open(log, "w") as out:
        out.write(f"{record} records, {total} letters, records per shard: {written}\n")


split(snakemake.input[0], list(snakemake.output), snakemake.log[0])  # noqa: F821
