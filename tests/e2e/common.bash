# common.bash - loaded by the bats files (`load common`): what they all set up.

# TENOR_BIN (the programs: $TENOR_BIN, else the tree's bin/) and ROOT (the
# repository) as absolute paths, and MODEL, the bundle a file trains once in
# its setup_file; all exported to the tests.
tenor_paths() {
	local bin="${TENOR_BIN:-$BATS_TEST_DIRNAME/../../bin}"

	TENOR_BIN="$(cd "$bin" && pwd)"
	ROOT="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	MODEL="$BATS_FILE_TMPDIR/model"
	export TENOR_BIN ROOT MODEL
}

# The word-only news model the classify tests share, trained once per file into $MODEL.
train_news_model() {
	"$TENOR_BIN/train" -q -o "$MODEL" --labels topic,tone --char-ngrams off "$ROOT/data/news/train.jsonl"
}
