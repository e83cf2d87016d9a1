package engine

import (
	"fmt"
	"strings"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

// Lang is a language gameday writes its report in: English (the default)
// or Japanese. The command line passes it in (--lang, later a setting of
// its config file); the engine never reads it from the environment.
type Lang string

// The languages of the catalog.
const (
	English  Lang = "en"
	Japanese Lang = "ja"
)

// Langs lists the languages of the catalog, English first.
func Langs() []Lang { return []Lang{English, Japanese} }

// ParseLang reads a language as a flag or a setting spells it: "en" or
// "ja", a BCP 47 tag of either ("ja-JP", "en-US"), or the language's own
// name ("english", "japanese", "日本語"). The empty string is English.
func ParseLang(s string) (Lang, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "english":
		return English, nil
	case "japanese", "日本語":
		return Japanese, nil
	}
	tag, err := language.Parse(strings.TrimSpace(s))
	if err == nil {
		base, _ := tag.Base()
		for _, l := range Langs() {
			if base.String() == string(l) {
				return l, nil
			}
		}
	}
	return "", fmt.Errorf("unknown language %q: gameday writes en (English) or ja (Japanese)", s)
}

func (l Lang) tag() language.Tag {
	if l == Japanese {
		return language.Japanese
	}
	return language.English
}

// Printer words the catalog's messages in one language. Every sentence of
// the report and of the JUnit output comes from it; the console's labels
// are to come from the same catalog.
type Printer struct {
	lang Lang
	p    *message.Printer
}

// NewPrinter returns a printer for l; an unknown l prints English.
func NewPrinter(l Lang) *Printer {
	if l != Japanese {
		l = English
	}
	b := catalog.NewBuilder(catalog.Fallback(language.English))
	for _, m := range messages() {
		// The table is checked by TestCatalogComplete; a bad entry here
		// would only make its key print as itself.
		if m.one != "" {
			_ = b.Set(language.English, m.key, plural.Selectf(m.count, "%d", "=1", m.one, "other", m.en))
		} else {
			_ = b.SetString(language.English, m.key, m.en)
		}
		_ = b.SetString(language.Japanese, m.key, m.ja)
	}
	return &Printer{lang: l, p: message.NewPrinter(l.tag(), message.Catalog(b))}
}

// Lang returns the printer's language.
func (p *Printer) Lang() Lang { return p.lang }

// T words the message key with args, like fmt.Sprintf with the catalog's
// format for key. Keys are string literals at every call site, so that
// TestCatalogComplete can find each one in the sources.
func (p *Printer) T(key string, args ...any) string { return p.p.Sprintf(key, args...) }

// msg is one entry of the catalog: a key and its format in each language.
// An English message whose wording depends on a count has the form for
// one in one and the count's argument (1-based) in count; Japanese has no
// plural forms.
type msg struct {
	key, en, ja string
	one         string
	count       int
}
