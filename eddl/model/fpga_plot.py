"""A picture of the HLSinf partition: the layer graph with each fused chain in its own colour.

Drawn with matplotlib alone (no graph library; imported on first use, as in
:mod:`eddl.figures`): layers go in columns by their depth from the
inputs (the longest path), in topological order within a column; each fused chain gets one
colour and every layer that stays on the CPU is grey.
"""

from ..figures import _figure, save_figure

__all__ = ["CPU_COLOR", "plot_partition", "save_partition"]

#: fill colour of the layers that stay on the CPU
CPU_COLOR = (0.85, 0.85, 0.85, 1.0)


def _layout(layers):
    """``{layer: (column, row)}``: column = longest path from an input, row = order within it."""
    depth, pos, rows = {}, {}, {}
    for l in layers:  # topological order: parents first
        depth[l] = 1 + max((depth[p] for p in l.parents if p in depth), default=-1)
        pos[l] = (depth[l], rows.get(depth[l], 0))
        rows[depth[l]] = rows.get(depth[l], 0) + 1
    return pos


def _partition_of(net_or_partition, version, subversion):
    from .fusion import Partition, partition

    if isinstance(net_or_partition, Partition):
        return net_or_partition
    part = getattr(net_or_partition, "fpga_partition", None)
    return part if part is not None else partition(net_or_partition, version, subversion)


def _draw(part):
    """Return the figure of ``part`` and the fill colour of each layer (by name)."""
    from matplotlib import colormaps
    from matplotlib.patches import FancyBboxPatch

    layers = part.layers
    if not layers:
        raise ValueError("plot_partition: the partition has no layers to draw")
    # tab20 without its greys, which the CPU layers use
    palette = [tuple(c) + (1.0,) for k, c in enumerate(colormaps["tab20"].colors) if k not in (14, 15)]
    colour, label = {}, {}
    for k, g in enumerate(part.groups):
        for l in g.layers:
            colour[l], label[l] = palette[k % len(palette)], f"#{k} "
    pos = _layout(layers)
    ncols = 1 + max(c for c, _ in pos.values())
    nrows = 1 + max(r for _, r in pos.values())
    fig = _figure((max(6.0, 1.6 * ncols), max(2.5, 0.9 * nrows + 1.2)), layout=None)
    ax = fig.add_axes((0, 0, 1, 0.88))
    ax.set_xlim(-0.6, ncols - 0.4)
    ax.set_ylim(nrows - 0.5, -0.5)
    ax.axis("off")
    for l in layers:
        for p in l.parents:
            if p in pos:
                (x0, y0), (x1, y1) = pos[p], pos[l]
                ax.annotate("", (x1 - 0.42, y1), (x0 + 0.42, y0),
                            arrowprops=dict(arrowstyle="->", color="0.4", lw=0.8))
    out = {}
    for l in layers:
        x, y = pos[l]
        c = colour.get(l, CPU_COLOR)
        out[l.name] = c
        ax.add_patch(FancyBboxPatch((x - 0.42, y - 0.3), 0.84, 0.6, boxstyle="round,pad=0.02",
                                    facecolor=c, edgecolor="0.3", lw=0.6))
        ax.text(x, y - 0.08, f"{label.get(l, '')}{l.name}", ha="center", va="center", fontsize=7)
        ax.text(x, y + 0.14, type(l).__name__, ha="center", va="center", fontsize=6, color="0.25")
    c = part.config
    up, down = part.transfer_bytes()
    fig.suptitle(f"HLSinf {c.version}.{c.subversion}: {len(part.groups)} fused chains (coloured, "
                 f"#k = chain k), {len(part.cpu)} CPU layers (grey); per sample {up:,} bytes to "
                 f"the FPGA, {down:,} back", fontsize=9)
    return fig, out


def plot_partition(net_or_partition, version=1, subversion=0):
    """Return a figure of the layer graph with the HLSinf partition coloured.

    Parameters
    ----------
    net_or_partition : Model or Partition
        A model made by :func:`eddl.toFPGA` (its partition is drawn on the original graph), any
        other model (partitioned for ``version.subversion``), or a partition.
    version, subversion : int
        The HLSinf build, for a model not made by ``toFPGA``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    return _draw(_partition_of(net_or_partition, version, subversion))[0]


def save_partition(net_or_partition, path, version=1, subversion=0, dpi=60):
    """Write the figure of :func:`plot_partition` as a PNG at ``path`` (atomically).

    Returns
    -------
    dict
        Layer name -> the RGBA fill colour it was drawn with (:data:`CPU_COLOR` on the CPU;
        one colour per fused chain).

    Examples
    --------
    >>> import eddl, os, tempfile
    >>> from eddl.model.fpga_plot import save_partition
    >>> x = eddl.Input([3, 16, 16])
    >>> net = eddl.Model([x], [eddl.ReLu(eddl.Conv2D(x, 4, [3, 3], name="c"), name="r")])
    >>> colours = save_partition(net, os.path.join(tempfile.mkdtemp(), "p.png"))
    >>> colours["c"] == colours["r"] != colours[x.name]
    True
    """
    fig, colours = _draw(_partition_of(net_or_partition, version, subversion))
    save_figure(fig, path, dpi=dpi)
    return colours
