// Command onbehalf runs onbehalf: `onbehalf dev` starts the whole local
// stack, `onbehalf serve` runs a production configuration, `onbehalf
// token` prints a dev user's token and `onbehalf invoke` talks to an agent.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCommand().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "onbehalf:", err)
		os.Exit(1)
	}
}
