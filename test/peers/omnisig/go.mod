module ksail.test/omnisig

go 1.26

require (
	github.com/ProtonMail/gopenpgp/v3 v3.4.1
	github.com/siderolabs/go-api-signature v0.3.13
	google.golang.org/grpc v1.81.1
)
