"""Concatenates the scored shards in order. TSV: the header line once (from the first part that
has one; an empty part, from an empty shard, has none), then every part's rows."""

import shutil


def merge(parts, output, fmt):
    header = None
    with open(output, "wb") as out:
        for part in parts:
            with open(part, "rb") as f:
                if fmt == "tsv":
                    first = f.readline()
                    if not first:
                        continue
                    if header is None:
                        header = first
                        out.write(first)
                    elif first != header:
                        raise ValueError(f"{part}: header {first!r} differs from {header!r}")
                shutil.copyfileobj(f, out, 1 << 20)


merge(list(snakemake.input), snakemake.output[0], snakemake.params.format)  # noqa: F821
