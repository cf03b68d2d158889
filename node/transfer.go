package node

// BytesUploaded is how many block bytes this node has sent to peers since
// it started: what it gave back to the network. 0 before Start.
func (n *Node) BytesUploaded() int64 {
	on := n.net.Load()
	if on == nil {
		return 0
	}
	st, err := on.bitswap.Stat()
	if err != nil {
		return 0
	}
	return int64(st.DataSent)
}
