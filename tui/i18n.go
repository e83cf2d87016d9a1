package tui

import (
	"fmt"
	"strings"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

// The console's own words — labels, key help, banners, the header — come
// from one catalog (messages.go), in English (the default) or Japanese.
// What the engine and the providers write (a fault's error, a provider's
// preview of its targets, the report) comes in their own words.
//
// The catalog has the shape of the engine's report catalog (a table of
// key, English, Japanese; golang.org/x/text/message formats), so that the
// two can become one: its keys all start with "ui.".

// Lang is a language the console speaks: English (the default) or
// Japanese. The command line sets it (Config.Lang).
type Lang string

// The console's languages.
const (
	English  Lang = "en"
	Japanese Lang = "ja"
)

// Langs lists the console's languages, English first.
func Langs() []Lang { return []Lang{English, Japanese} }

// ParseLang reads a language as a flag spells it: "en" or "ja", a BCP 47
// tag of either ("ja-JP", "en-US"), or the language's own name ("english",
// "japanese", "日本語"). The empty string is English.
func ParseLang(s string) (Lang, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "english":
		return English, nil
	case "japanese", "日本語":
		return Japanese, nil
	}
	if tag, err := language.Parse(strings.TrimSpace(s)); err == nil {
		base, _ := tag.Base()
		for _, l := range Langs() {
			if base.String() == string(l) {
				return l, nil
			}
		}
	}
	return "", fmt.Errorf("unknown language %q: the console speaks en (English) or ja (Japanese)", s)
}

func (l Lang) tag() language.Tag {
	if l == Japanese {
		return language.Japanese
	}
	return language.English
}

// printer words the catalog's messages in one language.
type printer struct {
	lang Lang
	p    *message.Printer
}

// newPrinter returns a printer for l; an unknown l is English.
func newPrinter(l Lang) *printer {
	if l != Japanese {
		l = English
	}
	b := catalog.NewBuilder(catalog.Fallback(language.English))
	for _, m := range messages() {
		// TestCatalogComplete checks the table; a bad entry would only
		// make its key print as itself.
		if m.one != "" {
			_ = b.Set(language.English, m.key, plural.Selectf(m.count, "%d", "=1", m.one, "other", m.en))
		} else {
			_ = b.SetString(language.English, m.key, m.en)
		}
		_ = b.SetString(language.Japanese, m.key, m.ja)
	}
	return &printer{lang: l, p: message.NewPrinter(l.tag(), message.Catalog(b))}
}

// S words the message key with args, like fmt.Sprintf with the catalog's
// format for key. Keys are string literals at every call, so that
// TestCatalogComplete finds each one in the sources.
func (p *printer) S(key string, args ...any) string { return p.p.Sprintf(key, args...) }

// msg is one entry of the catalog: a key and its format in each language.
// An English message whose wording depends on a count has the singular
// in one and the count's argument (1-based) in count; Japanese has no
// plural forms.
type msg struct {
	key, en, ja string
	one         string
	count       int
}
