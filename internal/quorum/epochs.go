package quorum

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/zkit-go/zkit/internal/storage"
)

// initEpochs creates missing epoch files from the last zxid's epoch and
// checks them, as QuorumPeer.loadDataBase does.
func (p *Peer) initEpochs() error {
	st := p.db.Store()
	lastEpoch := p.lastLogged >> 32
	cur, err := st.ReadEpoch(storage.CurrentEpochFile)
	if errors.Is(err, fs.ErrNotExist) {
		cur = lastEpoch
		if err := st.WriteEpoch(storage.CurrentEpochFile, cur); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	if lastEpoch > cur {
		if ok, _ := st.EpochTmpExists(storage.CurrentEpochFile); ok {
			if cur, err = st.ReadEpochTmp(storage.CurrentEpochFile); err != nil {
				return err
			}
			if err := st.WriteEpoch(storage.CurrentEpochFile, cur); err != nil {
				return err
			}
		} else {
			return fmt.Errorf("quorum: the current epoch %d is older than the last zxid's epoch %d", cur, lastEpoch)
		}
	}
	acc, err := st.ReadEpoch(storage.AcceptedEpochFile)
	if errors.Is(err, fs.ErrNotExist) {
		acc = lastEpoch
		if err := st.WriteEpoch(storage.AcceptedEpochFile, acc); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	if acc < cur {
		return fmt.Errorf("quorum: the accepted epoch %d is less than the current epoch %d", acc, cur)
	}
	return nil
}

func (p *Peer) epochs() (accepted, current int64) {
	st := p.db.Store()
	accepted, _ = st.ReadEpoch(storage.AcceptedEpochFile)
	current, _ = st.ReadEpoch(storage.CurrentEpochFile)
	return accepted, current
}
