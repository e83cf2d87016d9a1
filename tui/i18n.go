package tui

import (
	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"

	"github.com/gameday-tui/gameday/engine"
)

// The console's own words — labels, key help, banners, the header — come
// from one catalog (messages.go), in English (the default) or Japanese.
// What the engine and the providers write (a fault's error, a provider's
// preview of its targets, the report) comes in their own words.
//
// The catalog has the shape of the engine's report catalog (a table of
// key, English, Japanese; golang.org/x/text/message formats), so that the
// two can become one table: its keys all start with "ui.". They are two
// today because the engine's is the engine's to change.

// The language is the engine's (engine.Lang, parsed by engine.ParseLang
// from the command line): one --lang for the console's words and the
// report's.

func langTag(l engine.Lang) language.Tag {
	if l == engine.Japanese {
		return language.Japanese
	}
	return language.English
}

// printer words the catalog's messages in one language.
type printer struct {
	lang engine.Lang
	p    *message.Printer
}

// newPrinter returns a printer for l; an unknown l is English.
func newPrinter(l engine.Lang) *printer {
	if l != engine.Japanese {
		l = engine.English
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
	return &printer{lang: l, p: message.NewPrinter(langTag(l), message.Catalog(b))}
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
