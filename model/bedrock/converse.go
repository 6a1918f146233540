package bedrock

import (
	"context"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/onbehalf/onbehalf/model"
	"github.com/onbehalf/onbehalf/model/internal/provider"
)

// converse makes one Converse call.
func (p *Provider) converse(ctx context.Context, in input) (*model.Response, error) {
	out, err := p.client.Converse(ctx, &bedrockruntime.ConverseInput{
		ModelId: aws.String(p.modelID), Messages: in.messages, System: in.system,
		InferenceConfig: in.inference, ToolConfig: in.tools,
	})
	if err != nil {
		return nil, p.mapError(ctx, err, false, false)
	}
	if out.StopReason == types.StopReasonMalformedToolUse {
		return nil, p.badToolInput("", out.StopReason, false)
	}
	msg := model.Message{Role: model.RoleAssistant}
	if m, ok := out.Output.(*types.ConverseOutputMemberMessage); ok {
		for _, b := range m.Value.Content {
			switch b := b.(type) {
			case *types.ContentBlockMemberText:
				if b.Value != "" {
					msg.Content = append(msg.Content, model.Block{Type: model.BlockText, Text: b.Value})
				}
			case *types.ContentBlockMemberToolUse:
				input, err := documentJSON(b.Value.Input)
				if err != nil {
					return nil, p.badToolInput(aws.ToString(b.Value.Name), out.StopReason, false)
				}
				msg.Content = append(msg.Content, model.Block{
					Type: model.BlockToolUse, ToolUseID: aws.ToString(b.Value.ToolUseId),
					ToolName: aws.ToString(b.Value.Name), Input: input,
				})
			}
		}
	}
	return &model.Response{Message: msg, StopReason: stopReason(out.StopReason), Usage: usage(out.Usage)}, nil
}

// converseStream makes one ConverseStream call, passing text to onText.
func (p *Provider) converseStream(ctx context.Context, in input, onText func(string)) (*model.Response, error) {
	out, err := p.client.ConverseStream(ctx, &bedrockruntime.ConverseStreamInput{
		ModelId: aws.String(p.modelID), Messages: in.messages, System: in.system,
		InferenceConfig: in.inference, ToolConfig: in.tools,
	})
	if err != nil {
		return nil, p.mapError(ctx, err, false, false)
	}
	stream := out.GetStream()
	defer stream.Close()
	acc := &accumulator{onText: onText, blocks: map[int32]*block{}}
	events := stream.Events()
loop:
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				break loop
			}
			acc.add(ev)
		case <-ctx.Done():
			return nil, provider.Canceled(ctx, "bedrock")
		}
	}
	if err := stream.Err(); err != nil {
		return nil, p.mapError(ctx, err, true, acc.textSent)
	}
	if !acc.stopped {
		return nil, provider.Broken("bedrock", acc.textSent, nil)
	}
	return acc.response(p)
}

// accumulator builds one answer from ConverseStream events.
type accumulator struct {
	onText   func(string)
	blocks   map[int32]*block // by contentBlockIndex
	stop     types.StopReason
	usage    model.Usage
	stopped  bool // messageStop arrived
	textSent bool // text reached onText
}

type block struct {
	kind  model.BlockType
	text  strings.Builder
	id    string
	name  string
	input strings.Builder
}

// at returns the block at index i, creating it as kind (text blocks have
// no start event).
func (a *accumulator) at(i *int32, kind model.BlockType) *block {
	idx := aws.ToInt32(i)
	b, ok := a.blocks[idx]
	if !ok {
		b = &block{kind: kind}
		a.blocks[idx] = b
	}
	return b
}

func (a *accumulator) add(ev types.ConverseStreamOutput) {
	switch ev := ev.(type) {
	case *types.ConverseStreamOutputMemberContentBlockStart:
		if tu, ok := ev.Value.Start.(*types.ContentBlockStartMemberToolUse); ok {
			b := a.at(ev.Value.ContentBlockIndex, model.BlockToolUse)
			b.kind, b.id, b.name = model.BlockToolUse, aws.ToString(tu.Value.ToolUseId), aws.ToString(tu.Value.Name)
		}
	case *types.ConverseStreamOutputMemberContentBlockDelta:
		switch d := ev.Value.Delta.(type) {
		case *types.ContentBlockDeltaMemberText:
			b := a.at(ev.Value.ContentBlockIndex, model.BlockText)
			if b.kind == model.BlockText && d.Value != "" {
				b.text.WriteString(d.Value)
				a.onText(d.Value)
				a.textSent = true
			}
		case *types.ContentBlockDeltaMemberToolUse:
			b := a.at(ev.Value.ContentBlockIndex, model.BlockToolUse)
			b.input.WriteString(aws.ToString(d.Value.Input))
		}
	case *types.ConverseStreamOutputMemberMessageStop:
		a.stop, a.stopped = ev.Value.StopReason, true
	case *types.ConverseStreamOutputMemberMetadata:
		a.usage = usage(ev.Value.Usage)
	}
}

// response is the finished answer, in content block order.
func (a *accumulator) response(p *Provider) (*model.Response, error) {
	if a.stop == types.StopReasonMalformedToolUse {
		return nil, p.badToolInput("", a.stop, a.textSent)
	}
	idx := make([]int32, 0, len(a.blocks))
	for i := range a.blocks {
		idx = append(idx, i)
	}
	sort.Slice(idx, func(i, j int) bool { return idx[i] < idx[j] })
	msg := model.Message{Role: model.RoleAssistant}
	for _, i := range idx {
		b := a.blocks[i]
		switch b.kind {
		case model.BlockText:
			if b.text.Len() > 0 {
				msg.Content = append(msg.Content, model.Block{Type: model.BlockText, Text: b.text.String()})
			}
		case model.BlockToolUse:
			in, ok := provider.ToolInput(b.input.String())
			if !ok {
				return nil, p.badToolInput(b.name, a.stop, a.textSent)
			}
			msg.Content = append(msg.Content, model.Block{
				Type: model.BlockToolUse, ToolUseID: b.id, ToolName: b.name, Input: in,
			})
		}
	}
	return &model.Response{Message: msg, StopReason: stopReason(a.stop), Usage: a.usage}, nil
}

func (p *Provider) badToolInput(tool string, stop types.StopReason, textSent bool) error {
	return provider.BadToolInput("bedrock", tool, "stop reason "+string(stop), textSent)
}

func stopReason(r types.StopReason) model.StopReason {
	switch r {
	case types.StopReasonToolUse:
		return model.StopToolUse
	case types.StopReasonMaxTokens, types.StopReasonModelContextWindowExceeded:
		return model.StopMaxTokens
	default: // end_turn, stop_sequence, guardrail_intervened, content_filtered
		return model.StopEndTurn
	}
}

func usage(u *types.TokenUsage) model.Usage {
	if u == nil {
		return model.Usage{}
	}
	return model.Usage{InputTokens: int(aws.ToInt32(u.InputTokens)), OutputTokens: int(aws.ToInt32(u.OutputTokens))}
}
