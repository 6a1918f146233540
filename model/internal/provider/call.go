package provider

import (
	"context"
	"time"

	"github.com/onbehalf/onbehalf/model"
)

// Retry is the model.Retry of a provider's options.
func Retry(maxRetries int, sleep func(context.Context, time.Duration) error, maxWait time.Duration) model.Retry {
	return model.Retry{MaxRetries: maxRetries, Sleep: sleep, MaxWait: maxWait}
}

// Clock is now, or time.Now when now is nil.
func Clock(now func() time.Time) func() time.Time {
	if now == nil {
		return time.Now
	}
	return now
}

// Converse runs call under r until it answers or fails for good.
func Converse(ctx context.Context, r model.Retry, call func() (*model.Response, error)) (*model.Response, error) {
	var resp *model.Response
	err := r.Do(ctx, func(int) error {
		var err error
		resp, err = call()
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// Events is the event iterator of the SDKs' server-sent-event streams.
type Events[T any] interface {
	Next() bool
	Current() T
	Err() error
	Close() error
}

// Accumulator gathers one answer from the events of a stream.
type Accumulator[T any] interface {
	// Add folds one event in; an error means the stream is corrupt.
	Add(ev T) error
	// Complete says the stream ended the message (message_stop,
	// finish_reason…).
	Complete() bool
	// TextSent says text of the answer reached onText.
	TextSent() bool
	// Response is the finished answer.
	Response() (*model.Response, error)
}

// Drain feeds every event of s to acc and closes s. A corrupt event or a
// stream that ends before acc is complete is model.ErrStreamBroken; an
// error of the stream itself goes through mapErr.
func Drain[T any](provider string, s Events[T], acc Accumulator[T], mapErr func(error) error) (*model.Response, error) {
	defer s.Close()
	for s.Next() {
		if err := acc.Add(s.Current()); err != nil {
			return nil, Broken(provider, acc.TextSent(), nil)
		}
	}
	if err := s.Err(); err != nil {
		return nil, mapErr(err)
	}
	if !acc.Complete() {
		return nil, Broken(provider, acc.TextSent(), nil)
	}
	return acc.Response()
}
