# bench/RESULTS.md's body, from the bench programs' --rows lines (tab-separated; bench/bench.h says the format):
# the run's notes, the missed targets, then one markdown table per section. With -v before=OLD.md as the first
# file, OLD's ratios fill a "before" column and a "change" column: how much worse (+) or better (-) microtorch's
# ratio is now, and rows worse by more than `worse` (10%) are listed at the top. bench/run calls it.
BEGIN { FS = "\t"; worse = 0.10 }

function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
function cells(s) { gsub(/\|/, "/", s); return s }  # a "|" would end a markdown cell

# The previous RESULTS.md: each row's ratio by section and figure (the "ratio" column of its table).
before != "" && FILENAME == before {
  if (/^- date: /) before_date = substr($0, 9)
  if (/^## /) { sec = substr($0, 4); col = 0; next }
  if (!/^\|/) next
  n = split($0, c, "|")
  if (!col) { for (i = 2; i < n; ++i) if (trim(c[i]) == "ratio") col = i; next }  # the table's header
  if (trim(c[2]) !~ /^-+$/) old[sec SUBSEP trim(c[2])] = trim(c[col])
  next
}

$1 == "note" { if (!seen[$2]++) notes = notes "- " $2 "\n"; next }

$1 == "section" {
  sec = $2; table_started = 0
  body = body "\n## " sec "\n\n" ($3 != "" ? $3 "\n\n" : "")
  next
}

$1 == "row" {
  if (!table_started) {
    table_started = 1
    body = body "| figure | microtorch: median (max) | baseline: median (max) | ratio | target |"
    body = body (before != "" ? " before | change |\n|---|---|---|---|---|---|---|\n" : "\n|---|---|---|---|---|\n")
  }
  figure = cells($2); ratio = $5; target = $7
  if ($8 == "MISSED") { target = target ", **missed**"; missed = missed (missed ? "; " : "") figure " (" sec ")" }
  body = body "| " figure " | " cells($3) " | " cells($4) " | " ratio " | " target " |"
  if (before != "") {
    was = old[sec SUBSEP figure]; change = ""
    if (ratio != "" && was + 0 > 0) {
      d = $6 == "higher" ? was / ratio - 1 : ratio / was - 1  # + when microtorch's side got relatively slower
      change = sprintf("%+.0f%%", 100 * d)
      if (d > worse) slower = slower (slower ? "; " : "") figure " (" sec ", " was " -> " ratio ")"
    }
    body = body " " was " | " change " |"
  }
  body = body "\n"
}

END {
  printf "%s", notes
  if (before != "") printf "- before: `%s` (%s)\n", before_name, before_date
  print ""
  print missed ? "**Targets missed:** " missed "." : "Every target met."
  if (before != "") {
    print ""
    print slower ? sprintf("**Relatively slower than before by more than %d%%:** %s.", 100 * worse, slower) \
                 : sprintf("No row is relatively slower than before by more than %d%%.", 100 * worse)
  }
  printf "%s", body
}
