//go:build tools

// Package tools pins dependencies that packages will import; it is removed once they do.
package tools
import (
 _ "github.com/charmbracelet/bubbletea"
 _ "github.com/charmbracelet/bubbles/key"
 _ "github.com/charmbracelet/bubbles/help"
 _ "github.com/charmbracelet/bubbles/list"
 _ "github.com/charmbracelet/bubbles/textinput"
 _ "github.com/charmbracelet/bubbles/viewport"
 _ "github.com/charmbracelet/lipgloss"
 _ "github.com/charmbracelet/glamour"
 _ "github.com/charmbracelet/x/exp/teatest"
 _ "github.com/charmbracelet/x/exp/golden"
 _ "github.com/charmbracelet/x/ansi"
 _ "github.com/guptarohit/asciigraph"
 _ "github.com/HdrHistogram/hdrhistogram-go"
 _ "github.com/spf13/cobra"
 _ "github.com/prometheus/client_golang/prometheus"
 _ "github.com/prometheus/client_golang/prometheus/promhttp"
 _ "gopkg.in/yaml.v3"
 _ "golang.org/x/sync/errgroup"
 _ "golang.org/x/sys/unix"
 _ "golang.org/x/term"
)
