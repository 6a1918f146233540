package trace

import (
	"context"
	"slices"
	"testing"
)

func TestHopsRecordedBeforeAttachArriveFirstAndInOrder(t *testing.T) {
	ctx := WithRecorder(context.Background())
	Record(ctx, Hop{Hop: HopTokenAccepted})
	Record(WithRecorder(ctx), Hop{Hop: HopWorkloadToken}) // nested WithRecorder keeps the same recorder
	var got []string
	if !Attach(ctx, func(h Hop) { got = append(got, h.Hop) }) {
		t.Fatal("Attach found no recorder")
	}
	Record(ctx, Hop{Hop: HopTokenExchange, Detail: "vault hit"})
	if want := []string{HopTokenAccepted, HopWorkloadToken, HopTokenExchange}; !slices.Equal(got, want) {
		t.Errorf("hops = %v, want %v", got, want)
	}
}

func TestRecordWithoutARecorderIsANoOp(t *testing.T) {
	Record(context.Background(), Hop{Hop: HopDownstream})
	if Attach(context.Background(), func(Hop) {}) {
		t.Error("Attach on a bare context reported a recorder")
	}
}
