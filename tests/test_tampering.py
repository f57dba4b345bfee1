"""The static tampering flags (autograder/grading/tampering.py): each disguise of reaching
into the grader or its libraries is flagged, and honest code in every style is not.

The flags are a hint for the instructor's review, not a defence (the README says what a
static scan cannot see); these tests hold them to what they claim."""
from pathlib import Path

import pytest

from autograder.grading.tampering import scan_source
from tests.conftest import SOLUTIONS

ALTERNATIVES = Path(__file__).parent / "alternatives"

# Each reached the grader or a library unflagged before the scan followed names.
DISGUISES = {
    "import_module_under_an_alias": '''
from importlib import import_module as load
probes = load("autograder.probes.e08_tf_function")
probes.NOTES_SEQUENCE = []
''',
    "import_module_held_in_a_variable": '''
import importlib as il
bring = il.import_module
probes = bring("autograder.probes.e09_checkpoint")
''',
    "import_module_of_a_computed_name": '''
import importlib
probes = importlib.import_module("".join(["auto", "grader.probes.e08_tf_function"]))
''',
    "exec_of_base64": '''
import base64
exec(base64.b64decode("aW1wb3J0IGF1dG9ncmFkZXI="))
''',
    "exec_under_another_name": '''
run = exec
run(bytes.fromhex("696d706f7274206175746f677261646572"))
''',
    "exec_of_a_literal_that_imports_the_grader": '''
exec("import autograder.probes.e08_tf_function as p; p.NOTES_SEQUENCE = []")
''',
    "vars_of_sys_modules": '''
import sys
vars(sys)['modules']['autograder.probes.e08_tf_function'].NOTES_SEQUENCE = []
''',
    "getattr_of_sys_modules": '''
import sys
getattr(sys, "modules")["numpy"].mean = lambda *args, **kwargs: 0.0
''',
    "module_namespace_written": '''
import numpy as np
np.__dict__['allclose'] = lambda *args, **kwargs: True
''',
    "object_setattr_on_a_module": '''
import tensorflow as tf
object.__setattr__(tf, "reduce_mean", lambda x: 0.0)
''',
    "type_setattr_on_a_module": '''
import numpy as np
type(np).__setattr__(np, "isclose", lambda *args, **kwargs: True)
''',
    "setattr_on_a_module_held_in_a_variable": '''
import numpy as np
target = np
setattr(target, "array_equal", lambda *args: True)
''',
    "setattr_on_modules_in_a_loop": '''
import numpy as np
import tensorflow as tf
for module in (np, tf):
    setattr(module, "print", None)
''',
    "setattr_on_a_module_from_sys_modules": '''
import sys
def patch():
    setattr(library, "allclose", lambda *args, **kwargs: True)
library = sys.modules["numpy"]
''',
    "a_class_patched_through_type": '''
import tensorflow as tf
fn = tf.function(lambda x: x)
type(fn).experimental_get_tracing_count = lambda self: 1
''',
}

HONEST = {
    "sets_sys_argv": "import sys\nsys.argv = ['']\n",
    "redirects_sys_stdout": "import io\nimport sys\nsys.stdout = io.StringIO()\nsys.stdout = sys.__stdout__\n",
    "redirects_sys_stderr": "import sys\nimport io\nsys.stderr = io.StringIO()\n",
    "a_layer_that_sets_its_own_attributes": '''
import tensorflow as tf
class Holder(tf.keras.layers.Layer):
    def __init__(self, value):
        super().__init__()
        object.__setattr__(self, "_untracked", value)
''',
    "keras_and_numpy_as_usual": '''
import numpy as np
import tensorflow as tf
Dense = tf.keras.layers.Dense
rng = np.random.default_rng(0)
np.random.seed(0)
tf.random.set_seed(0)
model = tf.keras.Sequential([Dense(4), Dense(1)])
model.compile(optimizer="adam", loss="mse")
setattr(model, "name_of_mine", "m")
print(getattr(np, "float32"))
''',
}


@pytest.mark.parametrize("name", sorted(DISGUISES))
def test_a_disguised_reach_into_the_grader_or_a_library_is_flagged(name):
    assert scan_source(DISGUISES[name].encode(), "e01_tensors.py"), DISGUISES[name]


@pytest.mark.parametrize("name", sorted(HONEST))
def test_honest_code_is_not_flagged(name):
    assert scan_source(HONEST[name].encode(), "e01_tensors.py") == []


CORRECT = sorted(SOLUTIONS.glob("e*.py")) + sorted(ALTERNATIVES.glob("e*.py")) + \
    sorted((ALTERNATIVES / "handbook").glob("e*.py"))


@pytest.mark.parametrize("path", CORRECT, ids=lambda path: path.relative_to(path.parents[1]).as_posix())
def test_correct_code_in_every_style_is_not_flagged(path):
    assert scan_source(path.read_bytes(), path.name) == []


def test_the_evidence_attacks_are_flagged():
    """The attacks on the evidence patch the probes from inside the worker: flagged for review."""
    evidence = Path(__file__).parent / "adversarial" / "evidence"
    for path in sorted(evidence.glob("forge_*.py")):
        assert scan_source(path.read_bytes(), path.name), path.name


def test_flags_are_written_in_the_language_grading_runs_in():
    from autograder import i18n
    source = b"import numpy as np\nnp.random = None\nexec(open('x').read())\n"
    with i18n.using("zh"):
        chinese = scan_source(source, "e01_tensors.py")
    assert chinese == ["e01_tensors.py:2 给 np.random 赋值（numpy 模块的属性）",
                       "e01_tensors.py:3 执行运行时才拼出的代码（用 exec 执行 open('x').read()）"], chinese
    assert scan_source(source, "e01_tensors.py")[0] == "e01_tensors.py:2 assigns to np.random (a numpy attribute)"
