package uploadview

// RowState is one upload as the list shows it, for scripts and tests that
// watch the window from outside.
type RowState struct {
	Name string
	// Phase is "done", "failed", or the upload's phase while it runs
	// ("Reading video", "Waiting", "Importing", "Publishing").
	Phase string
	// Error is the message shown for a failed upload.
	Error string
}

// Rows lists the uploads shown, oldest first. Call it on the UI thread.
func (v *View) Rows() []RowState {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]RowState, 0, len(v.rows))
	for _, r := range v.rows {
		s := RowState{Name: r.name}
		switch r.state {
		case stateDone:
			s.Phase = "done"
		case stateFailed:
			s.Phase = "failed"
			if r.errText != nil {
				s.Error = r.errText.Text
			}
		default:
			s.Phase = r.phaseNow.String()
		}
		out = append(out, s)
	}
	return out
}
