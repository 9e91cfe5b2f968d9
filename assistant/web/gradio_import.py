"""Import gradio without its type-stub writer: about half of `import gradio` on a 2-core machine.

gradio (6.x) regenerates a `.pyi` stub beside every component class each time it is imported
(`gradio.component_meta.create_or_modify_pyi`: it re-parses each component's source file and
rewrites the stub when it differs). The stubs serve type checkers in gradio's own development; a
server gains nothing from them and may not even be allowed to write into site-packages (gradio then
swallows the error). Measured here: `import gradio` 3.8 s → 2.3 s, which the pages' start-up waits for.

`install()` puts a finder in front of the import system that lets `gradio.component_meta` load as
usual and then replaces that one function with a no-op, before any component class is created.
If a gradio release renames or drops the function, nothing is replaced and gradio works as shipped
(tests/test_web_startup.py then fails, to say the saving is gone).
"""
from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys

MODULE = "gradio.component_meta"
FUNCTION = "create_or_modify_pyi"


def _no_stubs(*args, **kwargs) -> None:
    """Stand-in for gradio's stub writer: a server writes no type stubs."""


class _SkipStubWriter(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != MODULE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        load = spec.loader.exec_module

        def exec_module(module):
            load(module)
            if hasattr(module, FUNCTION):
                setattr(module, FUNCTION, _no_stubs)

        spec.loader.exec_module = exec_module
        return spec


def install() -> None:
    """Skip the stub writer for the gradio imported after this call (idempotent; a no-op once
    gradio is imported)."""
    if MODULE in sys.modules or any(isinstance(f, _SkipStubWriter) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _SkipStubWriter())
