"""Tags from the entry's own words (issue 14): word-respecting matching, stems, stop
phrases, headings as hints, `tag --explain`, user rule files, and the corpus labels."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from curator.curate.keywords import KeywordIndex, Term
from curator.curate.rules import Tagger, TagInput, load_rules
from curator.errors import InputError
from tests.support.cli import ROOT, run_cli

CORPUS = ROOT.parent / "shared" / "corpus"


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(load_rules(ROOT / "data" / "tags.toml"))


def rules_from(tmp_path: Path, text: str) -> Tagger:
    """A Tagger of a rules file with `text`, as a list maintainer would write one."""
    rules = tmp_path / "r.toml"
    rules.write_text(text, encoding="utf-8")
    return Tagger(load_rules(rules))


def tags_of(tagger: Tagger, title: str, description: str = "", *section: str) -> set[str]:
    return set(tagger.tag(TagInput(title, description, "", tuple(section))))


# -- the matcher ----------------------------------------------------------------------


def test_stems_match_words_that_start_with_them_and_nothing_inside_a_word() -> None:
    index = KeywordIndex([Term("accelerat*", 0), Term("optimi*", 1)])
    assert index.scan("Accelerating diffusion") == {0: ("Accelerating", False)}
    assert index.scan("optimised kernels") == {1: ("optimised", False)}
    assert index.scan("Optimizing ViT inference") == {1: ("Optimizing", False)}
    assert index.scan("decelerate and reoptimize") == {}


def test_gpt_is_not_gpu_and_output_does_not_contain_tpu(tagger: Tagger) -> None:
    assert "hardware" not in tags_of(tagger, "GPT-4 technical notes", "ChatGPT output formats")
    assert "hardware" not in tags_of(tagger, "Throughput of the output layer")
    assert "hardware" in tags_of(tagger, "Cloud TPU v5e", "TPUs for training")
    assert "hardware" in tags_of(tagger, "Programming GPUs")


def test_stop_phrases_hide_how_a_thing_runs(tagger: Tagger) -> None:
    torch = "Tensors and dynamic neural networks in Python with strong GPU acceleration."
    assert tags_of(tagger, "PyTorch", torch) & {"hardware", "perf"} == set()
    assert tags_of(tagger, "phonto", "GPU-accelerated terminal renderer") & {"hardware"} == set()
    # The phrase is blanked, not the value: other words in it still count.
    both = tags_of(tagger, "Kernels", "GPU accelerated FFT; CUDA kernels tuned for latency")
    assert {"hardware", "perf"} <= both
    assert "perf" not in tags_of(tagger, "tere", "A faster alternative to cd + ls")
    assert "perf" in tags_of(tagger, "csv-parser", "A CSV parser that aims to be faster")


def test_a_tagline_fast_is_not_perf_but_speed_as_the_point_is(tagger: Tagger) -> None:
    assert "perf" not in tags_of(tagger, "Fastify", "Fast and low overhead web framework.")
    assert "perf" not in tags_of(tagger, "Echo", "High performance, minimalist Go web framework.")
    assert "perf" in tags_of(tagger, "fasttemplate", "Up to 10x faster than text/template.")
    assert "perf" in tags_of(tagger, "SHIP", "Huge inference pipelines for fast LLM serving")
    assert "perf" in tags_of(tagger, "Sarathi", "Taming the throughput-latency tradeoff")


def test_optimization_of_a_program_is_perf_of_a_model_or_search_is_not(tagger: Tagger) -> None:
    assert "perf" in tags_of(tagger, "How to optimize a CUDA matmul kernel")
    assert "perf" not in tags_of(tagger, "Optuna", "A hyperparameter optimization framework.")
    assert "perf" not in tags_of(tagger, "RoBERTa", "robustly optimized BERT pretraining")


def test_cjk_keywords_match_inside_text_and_short_ambiguous_ones_are_compounds(
    tagger: Tagger,
) -> None:
    assert "perf" in tags_of(tagger, "提高c++性能优化的方法")
    assert "hardware" in tags_of(tagger, "显存占用分析")
    # 性能 alone is often accuracy ("模型性能"), 利用率 alone any ratio.
    assert "perf" not in tags_of(tagger, "模型性能对比", "准确率和利用率")
    assert "perf" in tags_of(tagger, "GPU利用率低怎么办")


def test_textbooks_in_a_paper_title_is_not_a_book(tagger: Tagger) -> None:
    title = "Textbooks Are All You Need II: phi-1.5 technical report"
    assert "book" not in tags_of(tagger, title)
    assert "book" in tags_of(tagger, "Dive into Deep Learning", "an interactive book")


# -- headings as hints ----------------------------------------------------------------


def test_a_heading_tags_only_when_it_names_the_hardware_field(tagger: Tagger) -> None:
    # A bare device name as a heading is the list's layout, not a fact about each item.
    assert "hardware" not in tags_of(tagger, "Mojo", "A programming language for AI", "GPU")
    assert "hardware" not in tags_of(tagger, "A ChatGPT explainer", "", "Notes", "CUDA")
    hits = tagger.hits(TagInput("Understanding warps", "", "", ("Notes", "GPU 硬件")))
    hw = [h for h in hits if h.tag == "hardware"]
    assert [(h.field, h.matched) for h in hw] == [("category", "GPU 硬件")]
    assert 'category: "GPU 硬件"' in hw[0].reason
    # ...and the entry's own words still point elsewhere.
    diffusion = "深入浅出扩散模型(Diffusion Model)系列"
    assert "hardware" not in tags_of(tagger, diffusion, "", "GPU 硬件")
    # The list's title is not a section: a PyTorch page in "GPU MODE" › "Code / Libs".
    assert "hardware" not in tags_of(tagger, "PyTorch internals", "", "GPU MODE", "Code / Libs")
    # A bare "Hardware" heading in a software list holds device libraries, not hardware.
    assert "hardware" not in tags_of(tagger, "serialport", "Serial port access", "Hardware")
    assert "hardware" in tags_of(tagger, "NVIDIA H100 whitepaper", "", "Hardware Architecture")


# -- explain, user rules -------------------------------------------------------------


LIST_MD = """\
# Notes

## GPU 硬件

- [Warp scheduling](https://example.com/warps) - how warps are issued
- [Tokenizer tutorial](https://example.com/tok) - BPE from scratch
- [Serving](https://example.com/serve) - cut p99 latency in half
"""


@pytest.fixture
def small_db(tmp_path: Path) -> Path:
    src = tmp_path / "notes.md"
    src.write_text(LIST_MD, encoding="utf-8")
    db = tmp_path / "c.db"
    assert run_cli("import", src, "--db", db).code == 0
    r = run_cli("tag", "--db", db)
    assert r.code == 0, r.stderr
    return db


def listed(db: Path) -> dict[str, dict[str, Any]]:
    r = run_cli("list", "--format", "json", "--db", db)
    assert r.code == 0, r.stderr
    return {e["title"]: e for e in json.loads(r.stdout)}


def test_tag_explain_shows_rule_field_and_matched_text(small_db: Path) -> None:
    rows = listed(small_db)
    warps, serving = rows["Warp scheduling"], rows["Serving"]
    assert "hardware" not in rows["Tokenizer tutorial"]["tags"]
    r = run_cli("tag", "--explain", str(warps["id"]), "--db", small_db)
    assert r.code == 0, r.stderr
    assert 'hardware: hardware-chapter, category: "GPU 硬件"' in r.stdout
    assert "weaker kind of reason" in r.stdout
    r = run_cli("tag", "--explain", str(serving["id"]), "--format", "json", "--db", small_db)
    data = json.loads(r.stdout)
    perf = [x for x in data["reasons"] if x["tag"] == "perf"]
    assert perf == [
        {
            "tag": "perf",
            "origin": "rule",
            "rule": "perf-terms",
            "field": "description",
            "matched": "latency",
            "weak": False,
        }
    ]
    # A manual veto wins over the rules and says so.
    assert run_cli("tag", "remove", str(serving["id"]), "perf", "--db", small_db).code == 0
    assert run_cli("tag", "--db", small_db).code == 0
    r = run_cli("tag", "--explain", str(serving["id"]), "--db", small_db)
    assert "perf: removed by hand" in r.stdout
    assert "perf" not in listed(small_db)["Serving"]["tags"]
    r = run_cli("tag", "--explain", "99999", "--db", small_db)
    assert r.code == 2 and r.stderr.startswith("Error: no entry with id 99999")
    # It writes a table or JSON, never CSV: asking for CSV is a usage error.
    r = run_cli("tag", "--explain", str(serving["id"]), "--format", "csv", "--db", small_db)
    assert r.code == 2 and "csv" in r.stderr and "table" in r.stderr


def test_a_user_rules_file_adds_a_word_and_a_stop_phrase(small_db: Path, tmp_path: Path) -> None:
    rules = tmp_path / "mine.toml"
    bundled = (ROOT / "data" / "tags.toml").read_text(encoding="utf-8")
    # A maintainer's own vocabulary: "warps" means hardware; "p99 latency" is an SLO here.
    rules.write_text(
        bundled.replace("\nstop = [", '\nstop = [\n    "p99 latency",', 1)
        + '\n[[rules]]\nname = "my-words"\ntag = "hardware"\nfields = ["description"]\n'
        'keywords = ["warps"]\n',
        encoding="utf-8",
    )
    assert run_cli("tag", "--rules", rules, "--db", small_db).code == 0
    rows = listed(small_db)
    assert "perf" not in rows["Serving"]["tags"]
    reasons = rows["Warp scheduling"]["tag_reasons"]
    assert any('my-words (description: "warps")' in x["reason"] for x in reasons), reasons
    bad = tmp_path / "bad.toml"
    bad.write_text('stop = "x"\n[[rules]]\ntag = "a"\nfields = ["title"]\nkeywords = ["b"]\n')
    r = run_cli("tag", "--rules", bad, "--db", small_db)
    assert r.code == 2 and "stop must be a list" in r.stderr


# -- the corpus -----------------------------------------------------------------------


def _load_eval() -> Any:
    spec = importlib.util.spec_from_file_location("tag_eval", ROOT / "tools" / "tag_eval.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["tag_eval"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(
    not (CORPUS / "tags.jsonl").is_file(), reason="no ../shared/corpus next to the repository"
)
def test_corpus_tuning_half_reaches_the_target() -> None:
    report = _load_eval().evaluate_corpus("tuning")
    assert report.labels >= 200
    assert len(report.unmatched) <= report.labels // 10
    for tag in ("hardware", "perf"):
        s = report.total(tag)
        assert s.tp >= 40, (tag, s)
        assert s.precision >= 0.92, (tag, s, [e for e in report.errors if e.tag == tag])
        assert s.recall >= 0.92, (tag, s, [e for e in report.errors if e.tag == tag])


def test_sub_link_texts_and_url_path_words_are_fields_rules_can_use(tmp_path: Path) -> None:
    tagger = rules_from(
        tmp_path,
        '[[rules]]\nname = "hw-links"\ntag = "hardware"\nfields = ["links"]\n'
        'keywords = ["CUDA"]\n\n'
        '[[rules]]\nname = "perf-path"\ntag = "perf"\nfields = ["path"]\nkeywords = ["faster"]\n',
    )
    item = TagInput(
        "whisper",
        "speech recognition",
        urls=("https://github.com/SYSTRAN/faster-whisper", "https://example.com/x"),
        links=("CUDA version", "docs"),
    )
    hits = {(h.tag, h.field, h.matched) for h in tagger.hits(item)}
    assert hits == {("hardware", "links", "CUDA"), ("perf", "path", "faster")}
    # The host is not a path word; a sub-link text is not the title.
    plain = TagInput("x", urls=("https://faster.example/",), links=("notes",))
    assert tagger.hits(plain) == []


def test_with_entry_makes_a_rule_wait_for_a_second_word_in_the_entry(tmp_path: Path) -> None:
    tagger = rules_from(
        tmp_path,
        '[[rules]]\nname = "kern"\ntag = "perf"\nfields = ["title"]\nkeywords = ["kernel"]\n'
        'with_entry = ["GPU", "fused"]\n',
    )
    assert tagger.hits(TagInput("Matlab kernel", "for notebooks")) == []
    # The second word may sit in any of the entry's own fields, not in a heading.
    hit = tagger.hits(TagInput("A softmax kernel", "fused into attention"))
    assert [(h.rule, h.field, h.matched) for h in hit] == [("kern", "title", "kernel")]
    assert tagger.hits(TagInput("A softmax kernel", "", "", ("GPU",))) == []
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[rules]]\ntag = "a"\nfields = ["title"]\nkeywords = ["b"]\nwith_entry = "c"\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="with_entry must be a list"):
        load_rules(bad)


def test_a_maker_column_says_who_made_an_item_not_what_it_is_about(tagger: Tagger) -> None:
    # A chat-model table: the chip maker that trained a model is in its 机构/个人 cell,
    # in the row's description (its cells joined) and as a link text in that cell.
    row = TagInput(
        "Toucan",
        "7B | 中英 | Toucan-LLM | Kendryte",
        columns=(("模型", "Toucan"), ("大小", "7B"), ("机构/个人", "Kendryte")),
        links=("Toucan-LLM", "Kendryte"),
    )
    assert "hardware" not in tagger.tag(row)
    # The same cell under a column that says what the item is, is the item's own word.
    chip = row._replace(columns=(("模型", "Toucan"), ("芯片", "Kendryte")))
    assert "hardware" in tagger.tag(chip)


def test_maker_columns_are_data(tmp_path: Path) -> None:
    tagger = rules_from(
        tmp_path,
        'maker_columns = ["Sponsor"]\n[[rules]]\nname = "hw"\ntag = "hardware"\n'
        'fields = ["columns"]\nkeywords = ["NVIDIA"]\n',
    )
    assert tagger.hits(TagInput("A", columns=(("Sponsor", "NVIDIA"),))) == []
    assert tagger.hits(TagInput("A", columns=(("Vendor", "NVIDIA"),))) != []
    with pytest.raises(InputError, match="maker_columns must be a list"):
        rules_from(tmp_path, 'maker_columns = "Sponsor"\n')


def test_taglines_blank_a_speed_word_among_virtues_and_keep_speed_among_speed(
    tmp_path: Path,
) -> None:
    tagger = rules_from(
        tmp_path,
        '[taglines]\nspeed = ["fast", "efficient", "low-latency"]\n'
        'virtues = ["simple", "reliable"]\n\n'
        '[[rules]]\nname = "speed"\ntag = "perf"\nfields = ["description"]\n'
        'keywords = ["fast", "efficient"]\n',
    )
    assert tagger.tag(TagInput("x", "A simple, fast and reliable web server")) == {}
    assert tagger.tag(TagInput("x", "Simple and efficient notes")) == {}
    assert tagger.tag(TagInput("x", "Very simple and highly efficient")) == {}
    kept = tagger.tag(TagInput("x", "A fast and low-latency web server"))
    assert [h.matched for h in kept["perf"]] == ["fast"]
    # Outside the list the same word still counts.
    assert "perf" in tagger.tag(TagInput("x", "Simple to set up. Fast JSON parsing."))
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[taglines]\nspeedy = ["fast"]\n[[rules]]\ntag = "a"\nfields = ["title"]\n'
        'keywords = ["b"]\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"\[taglines\] takes only"):
        load_rules(bad)


def test_a_shared_word_list_serves_every_rule_that_names_it(tmp_path: Path) -> None:
    tagger = rules_from(
        tmp_path,
        '[words]\nother = ["attack", "watermark"]\n\n'
        '[[rules]]\nname = "q"\ntag = "perf"\nfields = ["title"]\nkeywords = ["quantized"]\n'
        'unless_entry = ["@other", "privacy"]\n\n'
        '[[rules]]\nname = "p"\ntag = "perf"\nfields = ["title"]\nkeywords = ["pruned"]\n'
        'unless_entry = ["@other"]\n',
    )
    assert tags_of(tagger, "Fast quantized nets") == {"perf"}
    assert tags_of(tagger, "An attack on quantized nets") == set()
    assert tags_of(tagger, "A watermark in pruned nets") == set()
    assert tags_of(tagger, "Privacy of quantized nets") == set()
    assert tags_of(tagger, "Privacy of pruned nets") == {"perf"}
    with pytest.raises(InputError, match="'@nothing' names no list in \\[words\\]"):
        rules_from(
            tmp_path,
            '[[rules]]\ntag = "a"\nfields = ["title"]\nkeywords = ["b"]\nunless = ["@nothing"]\n',
        )
    with pytest.raises(InputError, match=r"\[words\] must be a table of lists"):
        rules_from(tmp_path, 'words = ["a"]\n[[rules]]\ntag = "a"\nfields = ["title"]\n')


def test_chinese_taglines_join_with_enumeration_commas_or_nothing(tmp_path: Path) -> None:
    tagger = rules_from(
        tmp_path,
        '[taglines]\nspeed = ["高性能", "高效"]\nvirtues = ["简单", "轻量", "可靠"]\n\n'
        '[[rules]]\nname = "speed"\ntag = "perf"\nfields = ["description"]\n'
        'keywords = ["高性能", "高效"]\n',
    )
    assert tagger.tag(TagInput("x", "简单、高效、可靠的 RPC 框架")) == {}
    assert tagger.tag(TagInput("x", "简单和高效")) == {}
    assert tagger.tag(TagInput("x", "轻量高性能的 HTTP 库")) == {}
    # Speed words with each other, or alone, still count.
    assert "perf" in tagger.tag(TagInput("x", "高性能、高效的推理"))
    assert "perf" in tagger.tag(TagInput("x", "高性能推理引擎"))


def test_a_long_digest_in_the_notes_counts_only_by_its_opening_lines(tagger: Tagger) -> None:
    body = "\n".join(f"step {i}: tokens and labels" for i in range(8))
    digest = f"Motivation\nNER with lattices\n{body}\nRNNs cannot use the GPU's parallelism"
    assert "hardware" not in tagger.tag(TagInput("FLAT", "", digest))
    assert "hardware" in tagger.tag(TagInput("yolo v7", "", "adds transformers\nruns on NV GPU"))


def test_compression_and_deployment_words_count_next_to_a_model(tagger: Tagger) -> None:
    # A Go or shell list's "compression" is gzip, its "deploy" ships web apps.
    assert tags_of(tagger, "pgzip", "Parallel gzip compression") & {"compression"} == set()
    assert tags_of(tagger, "chi", "A lightweight HTTP router") & {"compression"} == set()
    assert tags_of(tagger, "Capistrano", "Deploy web apps over SSH") & {"deployment"} == set()
    assert tags_of(tagger, "zstd", "", "Compression") & {"compression"} == set()
    # Next to a model, or as the field's own term, they are this tag's.
    assert "compression" in tags_of(tagger, "Deep Compression", "Pruning deep neural networks")
    assert "compression" in tags_of(tagger, "模型压缩-剪枝算法详解")
    assert "compression" in tags_of(tagger, "Notes", "", "模型压缩")
    assert "deployment" in tags_of(tagger, "BentoML", "Deploy ML models as a service")
    assert "deployment" in tags_of(tagger, "ncnn", "A mobile inference engine")
