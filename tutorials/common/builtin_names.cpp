// The built-in names: 407 common English first names, written for this project (a small
// stand-in for makemore's 32k-name names.txt, which --data reads). Every letter a-z occurs.
#include <algorithm>

#include "builtin_corpus.h"

namespace tutorials {

// Kept several to a line here for reading; handed out one name per line, as names.txt is.
const std::string& builtin_names() {
  static const std::string names = [] {
    std::string s = R"(emma olivia ava isabella sophia charlotte mia amelia harper evelyn abigail emily elizabeth mila ella
avery sofia camila aria scarlett victoria madison luna grace chloe penelope layla riley zoey nora
lily eleanor hannah lillian addison aubrey ellie stella natalie zoe leah hazel violet aurora
savannah audrey brooklyn bella claire skylar lucy paisley everly anna caroline nova genesis emilia
kennedy samantha maya willow kinsley naomi aaliyah elena sarah ariana allison gabriella alice
madelyn cora ruby eva serenity autumn adeline hailey gianna valentina isla eliana quinn nevaeh ivy
sadie piper lydia alexa josephine emery julia delilah arianna vivian kaylee sophie brielle madeline
peyton rylee clara hadley melanie mackenzie reagan adalynn liliana ximena jade kylie katherine faith
alexandra jasmine margaret xena yasmin zara liam noah william james oliver benjamin elijah lucas
mason logan alexander ethan jacob michael daniel henry jackson sebastian aiden matthew samuel david
joseph carter owen wyatt john jack luke jayden dylan grayson levi isaac gabriel julian mateo anthony
jaxon lincoln joshua christopher andrew theodore caleb ryan asher nathan thomas leo isaiah charles
josiah hudson christian hunter connor eli ezra aaron landon adrian jonathan nolan jeremiah easton
elias colton cameron carson robert angel maverick nicholas dominic jaxson greyson adam ian austin
santiago jordan cooper brayden roman evan ezekiel xavier jose jace jameson leonardo bryson axel
everett parker kayden miles sawyer jason declan weston micah ayden wesley luca vincent damian
zachary silas gavin chase kai emmett harrison nathaniel kingston cole tyler bennett bentley ryker
tristan brandon kevin luis george ashton rowan braxton ryder gael ivan diego maxwell max carlos
kaiden juan maddox justin waylon calvin giovanni jonah abel jayce jesus amir king beau camden alex
jasper malachi brody jude blake emmanuel eric brooks elliot antonio abraham timothy finn rhett
elliott edward august xander alan dean lorenzo bryce karter victor milo miguel hayden graham grant
zion tucker jesse zayden joel richard patrick emiliano nicolas brantley dawson myles matteo river
steven thiago zane matias judah messiah jeremy preston oscar kaleb alejandro marcus mark peter
maximus barrett jax andres holden legend charlie knox kaden paxton kyrie kyle griffin josue kenneth
beckett enzo adriel arthur felix bryan lukas paul brian colt caden leon archer omar israel aidan
theo javier remington jaden bradley emilio colin cayden phoenix clayton simon ace nash derek rafael
zander brady jorge jake louis damien karson walker maximiliano amari sean chance walter martin
finley andre tobias cash corbin arlo iker erick emerson gunner cohen quentin quincy yusuf yara zelda
xiomara
)";
    std::replace(s.begin(), s.end(), ' ', '\n');
    return s;
  }();
  return names;
}

}  // namespace tutorials
