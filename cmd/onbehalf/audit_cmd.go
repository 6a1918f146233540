package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/onbehalf/onbehalf/store"
	"github.com/spf13/cobra"
)

func newAuditCommand() *cobra.Command {
	var (
		cf     configFlags
		f      store.AuditFilter
		since  time.Duration
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "List audit events: workload tokens, token exchanges, control-plane changes, tool calls",
		Long: "audit lists the broker's audit events, newest first. Events never hold a token or\n" +
			"secret; users appear as issuer|subject. With SQLite, a running server spools its\n" +
			"events and loads them into the database every 50 ms, so a call made a moment ago\n" +
			"may take that long to show.",
		Example: "  onbehalf audit --since 1h --outcome invalid_grant\n  onbehalf audit --action GetResourceOauth2Token --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := cf.load()
			if err != nil {
				return err
			}
			st, err := store.Open(cmd.Context(), cfg.Store)
			if err != nil {
				return err
			}
			defer st.Close()
			if since > 0 {
				f.Since = time.Now().Add(-since)
			}
			events, err := st.ListAudit(cmd.Context(), f)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				for _, ev := range events {
					if err := enc.Encode(ev); err != nil {
						return err
					}
				}
				return nil
			}
			return printAudit(cmd, events)
		},
	}
	cf.add(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.Action, "action", "", "only this operation, e.g. GetResourceOauth2Token")
	fl.StringVar(&f.Workload, "workload", "", "only this workload identity")
	fl.StringVar(&f.User, "user", "", "only this user (issuer|subject)")
	fl.StringVar(&f.Provider, "provider", "", "only this credential provider")
	fl.StringVar(&f.Flow, "flow", "", "only this flow, e.g. ON_BEHALF_OF_TOKEN_EXCHANGE")
	fl.StringVar(&f.Outcome, "outcome", "", `only this outcome ("ok" or an error code)`)
	fl.DurationVar(&since, "since", 0, "only events this recent, e.g. 1h")
	fl.IntVar(&f.Limit, "limit", 100, "at most this many events")
	fl.BoolVar(&asJSON, "json", false, "one JSON object per line")
	return cmd
}

func printAudit(cmd *cobra.Command, events []store.AuditEvent) error {
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "TIME\tACTION\tWORKLOAD\tUSER\tPROVIDER\tFLOW\tOUTCOME\tDETAIL")
	for _, ev := range events {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ev.Time.UTC().Format(time.RFC3339), dash(ev.Action), dash(ev.Workload),
			dash(shortUser(ev.User)), dash(ev.Provider), dash(ev.Flow), dash(ev.Outcome), dash(ev.Detail))
	}
	return w.Flush()
}

// shortUser keeps the subject and the issuer's host: enough to tell users
// apart on a terminal (use --json for the whole value).
func shortUser(u string) string {
	iss, sub, ok := strings.Cut(u, "|")
	if !ok {
		return u
	}
	iss = strings.TrimPrefix(strings.TrimPrefix(iss, "https://"), "http://")
	if i := strings.IndexByte(iss, '/'); i > 0 {
		iss = iss[:i]
	}
	return sub + "@" + iss
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
