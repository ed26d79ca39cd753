package web

// blockText is the block page in one language.
type blockText struct {
	Title, Heading, Because, Source, WhatItDoes, Appeal, AppealLink, Admin, Lookup, HTTPS string
	Categories                                                                            map[string]string
}

// blockTexts: English first; German and Spanish where the browser asks.
var blockTexts = map[string]blockText{
	"en": {
		Title: "Blocked: this site is listed as a scam", Heading: "This site was blocked to protect you",
		Because: "is on a list of scam sites", Source: "Listed by", WhatItDoes: "What sites like this do",
		Appeal: "Is this your site, and is it wrong?", AppealLink: "Appeal the listing",
		Admin:  "Whoever runs scamblock in your home or network can allow it if you are sure it is safe.",
		Lookup: "See every detail", HTTPS: "On https:// addresses your browser shows a certificate error instead of this page.",
		Categories: map[string]string{
			"":         "Scam sites pose as investments, exchanges, wallets or giveaways to take your money or your login. Do not enter passwords, card numbers or wallet phrases, and do not send money.",
			"phishing": "Phishing sites copy a real login page to steal your password, card or wallet recovery phrase.",
			"drainer":  "Wallet drainers ask you to connect or sign with your crypto wallet and then empty it.",
		},
	},
	"de": {
		Title: "Blockiert: diese Seite ist als Betrug gelistet", Heading: "Diese Seite wurde zu Ihrem Schutz blockiert",
		Because: "steht auf einer Liste betrügerischer Seiten", Source: "Gelistet von", WhatItDoes: "Was solche Seiten tun",
		Appeal: "Ist das Ihre Seite und ist der Eintrag falsch?", AppealLink: "Einspruch einlegen",
		Admin:  "Wer scamblock bei Ihnen zu Hause oder im Netz betreibt, kann die Seite freigeben, wenn sie sicher ist.",
		Lookup: "Alle Einzelheiten", HTTPS: "Bei https://-Adressen zeigt Ihr Browser statt dieser Seite einen Zertifikatsfehler.",
		Categories: map[string]string{
			"":         "Betrugsseiten geben sich als Geldanlage, Börse, Wallet oder Gewinnspiel aus, um Ihr Geld oder Ihre Zugangsdaten zu stehlen. Geben Sie keine Passwörter, Kartennummern oder Wallet-Wörter ein und überweisen Sie nichts.",
			"phishing": "Phishing-Seiten kopieren echte Anmeldeseiten, um Passwort, Karte oder Wallet-Wörter zu stehlen.",
			"drainer":  "Wallet-Drainer lassen Sie Ihre Krypto-Wallet verbinden oder etwas signieren und leeren sie dann.",
		},
	},
	"es": {
		Title: "Bloqueado: este sitio figura como estafa", Heading: "Este sitio se bloqueó para protegerle",
		Because: "está en una lista de sitios fraudulentos", Source: "Listado por", WhatItDoes: "Qué hacen estos sitios",
		Appeal: "¿Es su sitio y el listado es un error?", AppealLink: "Presentar una apelación",
		Admin:  "Quien administra scamblock en su casa o red puede permitirlo si está seguro de que es legítimo.",
		Lookup: "Ver todos los detalles", HTTPS: "En direcciones https:// su navegador muestra un error de certificado en lugar de esta página.",
		Categories: map[string]string{
			"":         "Los sitios fraudulentos se hacen pasar por inversiones, casas de cambio, monederos o sorteos para quedarse con su dinero o sus datos. No escriba contraseñas, tarjetas ni frases de monedero, y no envíe dinero.",
			"phishing": "Los sitios de phishing copian una página de acceso real para robar su contraseña, tarjeta o frase de recuperación.",
			"drainer":  "Los «drainers» le piden conectar o firmar con su monedero cripto y luego lo vacían.",
		},
	},
}
