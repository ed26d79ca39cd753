package blocklist

import (
	"context"

	"github.com/scamblock/scamblock/feeds"
	"github.com/scamblock/scamblock/feeds/parse"
	"github.com/scamblock/scamblock/lists"
)

// ImportResult is one feed parsed once, as a rebuild would use it: the
// parse report, what the guard refused, and the wallet addresses that
// failed validation.
type ImportResult struct {
	feeds.Result
	Compile       lists.SourceReport `json:"compile"`
	AddressReject *parse.Report      `json:"address_rejects,omitempty"`
	Addresses     int                `json:"addresses"`
}

// Import parses src (a path or URL) once, without a server or data
// directory. progress, when not nil, is told how far the parse got.
func Import(ctx context.Context, src string, format parse.Format, opts parse.Options, progress feeds.Progress) (ImportResult, error) {
	res, err := feeds.Import(ctx, feeds.NewFetcher(nil), feeds.Feed{URL: src, Format: format, Options: opts}, progress)
	out := ImportResult{Result: res}
	if err != nil || res.Set == nil {
		return out, err
	}
	_, rep := lists.Compile([]*lists.Set{res.Set}, lists.CompileOptions{
		Sources: map[string]lists.SourceOptions{res.Set.Source(): {URLBlocksHost: opts.URLBlocksHost}},
	})
	out.Compile = rep.Source(res.Set.Source())
	ix, wrep := buildWalletIndex([]*lists.Set{res.Set})
	out.Addresses = ix.Len()
	if r := wrep[res.Set.Source()]; r != nil {
		out.AddressReject = r
	}
	return out, nil
}
