package demo

// The texts of the input presets.

// phrases are the repeated-phrase preset's building blocks.
var phrases = []string{
	"the quick brown fox jumps over the lazy dog .",
	"a stitch in time saves nine .",
	"all that glitters is not gold .",
	"the early bird catches the worm .",
	"where there is smoke there is fire .",
	"actions speak louder than words .",
	"every cloud has a silver lining .",
	"an apple a day keeps the doctor away .",
}

// recallKeys and recallValues are the associative-recall preset's keys and
// answers; the two lists share no word.
var recallKeys = []string{
	"red", "blue", "green", "amber", "violet", "silver", "golden", "crimson",
	"teal", "ivory", "olive", "coral", "indigo", "scarlet", "azure", "ochre",
}

var recallValues = []string{
	"lion", "otter", "heron", "moose", "lynx", "crane", "bison", "gecko",
	"koala", "llama", "panda", "raven", "tapir", "viper", "whale", "zebra",
	"camel", "eagle", "hyena", "quail",
}

// randomWords are the random-token preset's vocabulary.
var randomWords = []string{
	"ab", "ce", "di", "fo", "gu", "ha", "je", "ki", "lo", "mu", "na", "pe",
	"qi", "ro", "su", "ta", "ve", "wi", "xo", "yu", "za", "bo", "ci", "de",
	"fa", "ge", "hi", "jo", "ku", "la", "me", "ni", "po", "qu", "ra", "se",
	"ti", "vo", "wu", "xa", "ye", "zi", "bu", "ca", "do", "fe", "gi", "ho",
	"ju", "ka", "le", "mi", "no", "pu", "qa", "re", "si", "to", "vu", "wa",
	"xe", "yi", "zo", "ba",
}

// proseText is the opening of Charles Dickens, A Tale of Two Cities (1859),
// in the public domain. Its famous first sentence repeats its own pattern.
const proseText = `It was the best of times, it was the worst of times, it was the age of
wisdom, it was the age of foolishness, it was the epoch of belief, it was the
epoch of incredulity, it was the season of Light, it was the season of
Darkness, it was the spring of hope, it was the winter of despair, we had
everything before us, we had nothing before us, we were all going direct to
Heaven, we were all going direct the other way -- in short, the period was so
far like the present period, that some of its noisiest authorities insisted on
its being received, for good or for evil, in the superlative degree of
comparison only.

There were a king with a large jaw and a queen with a plain face, on the
throne of England; there were a king with a large jaw and a queen with a fair
face, on the throne of France. In both countries it was clearer than crystal to
the lords of the State preserves of loaves and fishes, that things in general
were settled for ever.

It was the year of Our Lord one thousand seven hundred and seventy-five.
Spiritual revelations were conceded to England at that favoured period, as at
this.`
