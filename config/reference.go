package config

import (
	"fmt"
	"io"
	"strings"
)

// WriteReference writes docs/configuration.md: every setting of the model
// with its flag, environment variable, YAML key, default and meaning. It is
// generated so that it cannot drift from the code; a test compares it with
// the committed file.
func WriteReference(w io.Writer) error {
	var b strings.Builder
	b.WriteString(`# scamblock configuration reference

<!-- Generated from the settings model (package config) by
     "go run ./cmd/scamblock config reference > docs/configuration.md"; do not edit.
     go test ./config fails when this file and the model differ. -->

Every setting can be given in three places. **A flag wins over the environment, which wins over the
` + "`--config`" + ` YAML file, which wins over the defaults**, setting by setting: a flag replaces the
file's value of that setting only, and a list flag (` + "`--upstream`, `--allow`, ..." + `) replaces the whole
list, except ` + "`--feed`" + `, which adds feeds after the file's. In the environment a list is one
comma-separated value (` + "`SCAMBLOCK_UPSTREAM=udp://192.0.2.1:53,udp://192.0.2.2:53`" + `) and a switch is
` + "`true`/`false` (also `yes`/`no`, `on`/`off`)" + `. Every value is read and checked the same way
wherever it comes from, and a bad one is reported with where it came from: ` + "`scamblock.yaml:7:\nserver.block_mode: ...`, `SCAMBLOCK_BLOCK_MODE: ...` or `--block-mode: ...`" + `. SIGHUP re-reads
the file; flags and the environment still win after a reload.

Durations are Go durations or days (` + "`90m`, `6h`, `1d`" + `); a TTL may also be a bare number of seconds.
Sizes are ` + "`KiB`/`MiB`/`GiB`, `KB`/`MB`/`GB`" + ` or bytes.

## Settings

Flags of ` + "`scamblock serve`" + `. Those marked *lists* are also flags of ` + "`check`" + ` and ` + "`feeds`" + `; those marked
*data* also of ` + "`token`" + `. Every command reads the environment and the file.

| flag | environment | YAML key | default | meaning |
|---|---|---|---|---|
`)
	for _, s := range model() {
		if s.item {
			continue
		}
		flag := "`--" + s.Flag + "`"
		if s.Kind != KindBool && s.Meta != "" {
			flag = "`--" + s.Flag + " " + s.Meta + "`"
		}
		scope := map[Scope]string{ScopeLists: " *lists*", ScopeData: " *data*"}[s.Scope]
		def := code(s.Default)
		if s.Negate {
			def = "off (`" + s.Key + ": " + s.Default + "`)"
		}
		fmt.Fprintf(&b, "| %s%s | %s | %s | %s | %s |\n", flag, scope, codeList(s.Env), yamlKey(s), def, cell(s.Help))
	}
	b.WriteString(`
## Feeds

Each item of ` + "`feeds:`" + ` defines a feed. An item named like a built-in feed (see
[feeds/README.md](../feeds/README.md)) changes only the keys it gives:
` + "`- {name: metamask, enabled: false}`" + ` turns that one off. ` + "`--feed NAME=PATH`" + ` (or ` + "`SCAMBLOCK_FEED`" + `) is an
item with ` + "`name`" + ` and ` + "`url`" + `.

| key | default | meaning |
|---|---|---|
`)
	for _, s := range model() {
		if s.item {
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", s.leaf(), cell(s.Default), cell(s.Help))
		}
	}
	b.WriteString(`
## Example

` + "```yaml" + `
server:
  dns_listen: ["127.0.0.1:5335", "[::1]:5335"]
  upstreams:
    - tls://dns.quad9.net@9.9.9.9:853
    - udp://192.0.2.53:53
  block_mode: "ip:0.0.0.0,::"     # quoted: it contains ':'
  block_ttl: 300
  allow: [example.org]
  data_dir: /var/lib/scamblock
  memory_limit: 512MiB
default_feeds: true
feeds:
  - name: metamask                # a built-in feed: only the keys given change
    enabled: false
  - name: my-list
    url: /etc/scamblock/mine.txt
    format: domains
` + "```\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func yamlKey(s Setting) string {
	switch {
	case s.Key == "":
		return "—"
	case s.Key == "feeds":
		return "`feeds` (a list)"
	case s.Negate:
		return "`" + s.Key + "` (the opposite)"
	}
	return "`" + s.Key + "`"
}

func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + strings.ReplaceAll(s, ",", ", ") + "`"
}

func codeList(names []string) string {
	var out []string
	for _, n := range names {
		out = append(out, "`"+n+"`")
	}
	return strings.Join(out, ", ")
}

// cell escapes text for a table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace(s)
}
