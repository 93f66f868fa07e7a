"""Install GPU Support without a download: the CUDA build from a fake nvidia-smi (a failure
double for a machine with an NVIDIA driver), the pip command and its target folder keyed by
Python version and build, online access respected, and never a second numpy."""

from __future__ import annotations

import os
import stat
import sys
from importlib import import_module

import pytest

from core import gpu_install

SMI = """#!/bin/sh
echo "+-----------------------------------------------------------------------------+"
echo "| NVIDIA-SMI 550.54.15    Driver Version: 550.54.15    CUDA Version: {cuda}     |"
"""


@pytest.fixture
def fake_smi(tmp_path, monkeypatch):
    def make(cuda: str | None):
        exe = tmp_path / "bin" / "nvidia-smi"
        exe.parent.mkdir(exist_ok=True)
        exe.write_text(SMI.format(cuda=cuda) if cuda else "#!/bin/sh\necho 'no devices found'\n")
        exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
        monkeypatch.setenv("PATH", f"{exe.parent}{os.pathsep}{os.environ['PATH']}")

    return make


def test_the_build_follows_the_driver(fake_smi, monkeypatch):
    fake_smi("12.4")
    assert gpu_install.driver_cuda_version() == (12, 4)
    assert gpu_install.cuda_build((12, 4)) == "cu118"  # cu126 needs a 12.6 driver
    assert gpu_install.cuda_build((12, 8)) == "cu128" and gpu_install.cuda_build((13, 0)) == "cu128"
    with pytest.raises(gpu_install.InstallError, match="update the NVIDIA driver"):
        gpu_install.cuda_build((11, 4))
    fake_smi(None)
    with pytest.raises(gpu_install.InstallError, match="CUDA Version"):
        gpu_install.driver_cuda_version()
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(gpu_install.InstallError, match="no NVIDIA GPU"):
        gpu_install.driver_cuda_version()


def test_the_command_targets_a_folder_per_python_and_build_and_pins_numpy(tmp_path):
    import numpy

    assert gpu_install.deps_folder((3, 13), "cu128") == "deps/cp313-cu128"  # Blender 5.1's Python
    c = gpu_install.write_constraints(tmp_path / "c.txt")
    assert c.read_text() == f"numpy=={numpy.__version__}\n"
    cmd = gpu_install.pip_command("/py", tmp_path / "t", "cu126", c)
    assert cmd[:4] == ["/py", "-m", "pip", "install"] and cmd[cmd.index("--target") + 1] == str(
        tmp_path / "t"
    )
    assert "https://download.pytorch.org/whl/cu126" in cmd and f"torch=={gpu_install.TORCH_VERSION}" in cmd
    assert cmd[cmd.index("--constraint") + 1] == str(c)
    with pytest.raises(gpu_install.InstallError):
        gpu_install.pip_command("/py", tmp_path, "cu999", c)
    (tmp_path / "t" / "numpy").mkdir(parents=True)
    (tmp_path / "t" / "numpy-2.0.0.dist-info").mkdir()
    (tmp_path / "t" / "torch").mkdir()
    assert sorted(gpu_install.remove_foreign_numpy(tmp_path / "t")) == ["numpy", "numpy-2.0.0.dist-info"]
    assert [p.name for p in (tmp_path / "t").iterdir()] == ["torch"]


def test_the_operator_respects_online_access_and_reports_its_command(fake_smi, ext, scene):
    bpy = pytest.importorskip("bpy")
    gpu_ops = import_module(f"{ext.__name__}.operators.gpu_ops")
    fake_smi("12.8")
    system = bpy.context.preferences.system
    keep = system.use_online_access
    try:
        system.use_online_access = False
        with pytest.raises(RuntimeError, match="Online access is off"):
            bpy.ops.garment.install_gpu(dry_run=True)
        system.use_online_access = True
        assert bpy.ops.garment.install_gpu(dry_run=True) == {"FINISHED"}
    finally:
        system.use_online_access = keep
    plan = bpy.context.window_manager["garment_gpu_install"]
    tag = f"cp{sys.version_info[0]}{sys.version_info[1]}-cu128"
    assert plan["build"] == "cu128" and plan["target"].endswith(f"deps/{tag}")
    assert plan["command"][0] == sys.executable and "--target" in plan["command"]
    assert not gpu_ops.deps_path("cu128").exists() or not any(
        gpu_ops.deps_path("cu128").iterdir()
    )  # nothing downloaded
