"""bailian_chat.generated_code and the build step that records it (local/generated_code.py): the
code objects from the cache behave as the sources compiled afresh do, every source a function's
import generates is in a recorded cache, and a cache that is missing, damaged or from another
Python changes nothing. Each case runs in a fresh interpreter: installing hooks stdlib modules."""

import json
import marshal
import shutil
import subprocess
import sys
from importlib.util import MAGIC_NUMBER

import pytest

from local import generated_code as build_step
from local.template import Template
from tests.support.fresh_python import each_function_imported, run_python

# Dataclasses of every kind, a namedtuple with defaults, string forward references: what the
# three hooked modules generate source for. Prints what the objects do, as JSON.
SAMPLE = """
import collections, dataclasses, json, typing

@dataclasses.dataclass(frozen=True)
class Frozen:
    name: str
    tags: tuple = ()
    extra: list = dataclasses.field(default_factory=list, compare=False)

@dataclasses.dataclass(order=True, slots=True, kw_only=True)
class Ordered:
    rank: int
    label: str = "x"
    def __post_init__(self):
        self.label = self.label.upper()

@dataclasses.dataclass
class WithInitVar:
    total: int = 0
    scale: dataclasses.InitVar[int] = 1
    def __post_init__(self, scale):
        self.total *= scale

Point = collections.namedtuple("Point", "x y z", defaults=(0,))

# Two classes whose generated source is the same text: one entry, one code object for both.
@dataclasses.dataclass
class Pair:
    left: int
    right: int

@dataclasses.dataclass
class Span:
    left: int
    right: int

class Shape(typing.TypedDict):
    corners: "list[Point]"
    label: "str | None"

frozen = Frozen("a", ("t",))
try:
    frozen.name = "b"
    refused = None
except dataclasses.FrozenInstanceError as exc:
    refused = type(exc).__name__
report = {
    "frozen": [
        repr(frozen), frozen == Frozen("a", ("t",), [1]), hash(frozen) == hash(Frozen("a", ("t",))), refused
    ],
    "ordered": [repr(Ordered(rank=2)), Ordered(rank=1) < Ordered(rank=2), sorted(Ordered.__slots__)],
    "initvar": [repr(WithInitVar(3, scale=4)), [f.name for f in dataclasses.fields(WithInitVar)]],
    "namedtuple": [repr(Point(1, 2)), Point(1, 2) == (1, 2, 0), Point._fields],
    "same_text": [repr(Pair(1, 2)), repr(Span(1, 2)), Pair(1, 2) == Span(1, 2), Pair(1, 2) == Pair(1, 2)],
    "hints": sorted(f"{name}={hint}" for name, hint in typing.get_type_hints(Shape).items()),
}
"""

RECORD = """
from bailian_chat import generated_code
entries = generated_code.record()
{sample}
generated_code.write(entries, {path!r})
print(json.dumps({{"report": report, "recorded": len(entries)}}))
"""

CACHED = """
from bailian_chat import generated_code
installed = generated_code.install({path!r})
{sample}
print(json.dumps({{"report": report, "installed": installed, **generated_code.counts}}))
"""


def test_the_cached_code_behaves_as_the_source_compiled_afresh(tmp_path):
    path = str(tmp_path / "generated_code.marshal")
    afresh = json.loads(run_python(SAMPLE + "print(json.dumps(report))"))
    recorded = json.loads(run_python(RECORD.format(sample=SAMPLE, path=path)))
    cached = json.loads(run_python(CACHED.format(sample=SAMPLE, path=path)))

    assert recorded["report"] == afresh and cached["report"] == afresh
    assert afresh["frozen"][1:] == [True, True, "FrozenInstanceError"]
    assert afresh["ordered"][0] == "Ordered(rank=2, label='X')"
    assert afresh["hints"] == ["corners=list[__main__.Point]", "label=str | None"]
    assert afresh["same_text"] == ["Pair(left=1, right=2)", "Span(left=1, right=2)", False, True]
    # 5 dataclasses (Pair and Span one text), 1 namedtuple __new__, 2 forward references: 7 texts
    # recorded, 8 lookups, every one from the cache
    assert recorded["recorded"] == 7
    assert cached["installed"] is True
    assert (cached["hits"], cached["misses"]) == (8, 0)


def test_a_source_not_in_the_cache_is_compiled_as_usual(tmp_path):
    path = str(tmp_path / "generated_code.marshal")
    run_python(RECORD.format(sample="import json\nreport = None", path=path))  # an empty cache
    cached = json.loads(run_python(CACHED.format(sample=SAMPLE, path=path)))
    assert cached["installed"] is True
    assert (cached["hits"], cached["misses"]) == (0, 8)
    assert cached["report"] == json.loads(run_python(SAMPLE + "print(json.dumps(report))"))


HOOKS_AS_THE_BUILTINS = """
import collections, dataclasses, json, typing
from bailian_chat import generated_code
assert generated_code.install({path!r})

def run_without_globals():
    local, seen = 1, []
    dataclasses.exec("seen.append(local)")  # in the caller's namespaces, as exec() runs
    dataclasses.exec("local = 5")  # into a snapshot of a function's locals: local stays 1
    return seen + [local]

namespace, by_keyword = {{}}, {{}}
dataclasses.exec("y = 6 * 7", namespace)
dataclasses.exec("z = 1", globals=by_keyword)
dataclasses.exec("at_module_level = 2")  # a module's namespace itself
print(json.dumps({{
    "exec": namespace["y"],
    "exec_by_keyword": by_keyword["z"],
    "exec_without_globals": run_without_globals(),
    "exec_at_module_level": at_module_level,
    "eval_by_keyword": collections.eval("a + 1", globals={{"a": 1}}),
    "eval_leading_blanks": collections.eval(" \\t 40 + 2"),
    "compile_other_flags": typing.compile("1", "x.py", "eval", dont_inherit=True).co_filename,
    "compile_bytes": eval(typing.compile(b"2", "x.py", "eval")),
    "misses": generated_code.counts["misses"],
}}))
"""


def test_the_hooks_answer_as_the_builtins_do(tmp_path):
    path = str(tmp_path / "generated_code.marshal")
    run_python(RECORD.format(sample="import json\nreport = None", path=path))
    answered = json.loads(run_python(HOOKS_AS_THE_BUILTINS.format(path=path)))
    assert answered == {
        "exec": 42,
        "exec_by_keyword": 1,
        # exec() without globals runs in its caller's namespaces (not the hook's), as the builtin
        "exec_without_globals": [1, 1],
        "exec_at_module_level": 2,
        "eval_by_keyword": 2,
        "eval_leading_blanks": 42,
        "compile_other_flags": "x.py",
        "compile_bytes": 2,
        "misses": 7,  # the seven str sources (not the dont_inherit compile, not the bytes)
    }


def foreign_magic(data: bytes) -> bytes:
    return bytes([(MAGIC_NUMBER[0] + 1) % 256]) + MAGIC_NUMBER[1:] + data


@pytest.mark.parametrize(
    "content",
    [
        None,  # no file: the source tree, the tests, the local stack
        foreign_magic(marshal.dumps({})),  # written by another Python version
        MAGIC_NUMBER + marshal.dumps({})[:-1] + b"\xff\xff",  # damaged
        MAGIC_NUMBER,  # truncated
        MAGIC_NUMBER + marshal.dumps([("<string>", "exec", "x = 1")]),  # not a cache
    ],
    ids=["missing", "another-python", "damaged", "truncated", "not-a-dict"],
)
def test_no_usable_cache_hooks_nothing(tmp_path, content):
    path = tmp_path / "generated_code.marshal"
    if content is not None:
        path.write_bytes(content)
    answered = json.loads(
        run_python(
            "import collections, dataclasses, json, typing\n"
            "from bailian_chat import generated_code\n"
            f"installed = generated_code.install({str(path)!r})\n"
            "print(json.dumps([installed, generated_code._hooked()]))"
        )
    )
    assert answered == [False, False]


def test_install_hooks_once_and_never_over_a_recording(tmp_path):
    path = str(tmp_path / "generated_code.marshal")
    run_python(RECORD.format(sample="import json\nreport = None", path=path))
    answered = json.loads(
        run_python(
            "import json\nfrom bailian_chat import generated_code\n"
            f"first, second = generated_code.install({path!r}), generated_code.install({path!r})\n"
            "print(json.dumps([first, second]))"
        )
    )
    assert answered == [True, False]
    recording = (
        "import json\nfrom bailian_chat import generated_code\nentries = generated_code.record()\n"
        f"print(json.dumps(generated_code.install({path!r})))"
    )
    assert json.loads(run_python(recording)) is False


# Every function's import from a layer that carries the cache the build step records (installed
# by bailian_chat/__init__ from its default place): how many sources each looked up and missed.
FUNCTIONS_FROM_THE_CACHE = each_function_imported(
    "dict(cache.counts)",
    setup="from bailian_chat import generated_code as cache\nassert cache._hooked()",
    before="cache.counts.update(hits=0, misses=0)",
)


def test_the_build_step_records_every_source_the_functions_import(tmp_path):
    """The recording (fresh interpreter per function, priming on) covers each function's import:
    nothing a function imports is compiled at its cold start."""
    layer = tmp_path / "python"
    shutil.copytree(
        build_step.LAYER_SOURCE / "bailian_chat",
        layer / "bailian_chat",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    functions = list(Template(resource_values={"Table": "generated-code"}).functions.values())
    total, per_function = build_step.record_all(
        sys.executable,
        functions,
        build_step.LAYER_SOURCE,
        lambda function: build_step.REPO_ROOT / function.code_uri,
        layer / "bailian_chat" / build_step.CACHE_NAME,
    )
    assert set(per_function) == {f.code_uri.name for f in functions}
    # every function recorded some; the texts they share are in the cache once
    assert min(per_function.values()) > 0 and total < sum(per_function.values())
    counts = json.loads(run_python(FUNCTIONS_FROM_THE_CACHE, layer=layer))
    assert set(counts) == set(per_function)
    assert {name: count["misses"] for name, count in counts.items() if count["misses"]} == {}
    # the layer's own dataclasses (Settings, the store's, ...) at least, in every function
    assert min(count["hits"] for count in counts.values()) >= 5


def test_the_build_step_refuses_to_write_into_the_source_tree():
    done = subprocess.run(
        [sys.executable, "-m", "local.generated_code", str(build_step.LAYER_SOURCE)],
        cwd=build_step.REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "source tree" in done.stderr
    assert not (build_step.LAYER_SOURCE / "bailian_chat" / build_step.CACHE_NAME).exists()
