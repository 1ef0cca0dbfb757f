package filter

// Word lists. Names are frequent given names and surnames as published in
// public-domain statistics (US Census Bureau 2010 surnames and SSA baby names,
// UK ONS baby names, German, French, Brazilian (IBGE) and Indian frequency
// lists), reduced to a compact set and lower-cased. They give evidence, not
// verdicts: a listed name still needs a capital letter and no contrary cue,
// and an unlisted name is found through cues (greetings, titles, "my name
// is", sign-offs).

const givenNames = `
james john robert michael william david richard joseph thomas charles christopher daniel matthew anthony mark donald
steven paul andrew joshua kenneth kevin brian george timothy ronald edward jason jeffrey ryan jacob gary nicholas eric
jonathan stephen larry justin scott brandon benjamin samuel gregory alexander frank patrick raymond jack dennis jerry
tyler aaron jose adam nathan henry douglas zachary peter kyle ethan walter noah jeremy christian keith roger terry
gerald harold sean austin carl arthur lawrence dylan jesse jordan bryan billy joe bruce gabriel logan albert willie
alan juan wayne elijah randy roy vincent ralph eugene russell bobby mason philip louis liam oliver lucas aiden jackson
sebastian mateo owen luke grayson levi isaac caleb hunter connor eli landon adrian jaxon ian evan miles nolan cameron
leo jace colton dominic brody harry charlie alfie freddie archie theo oscar arlo rory finley reuben toby callum
mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty margaret sandra ashley
kimberly emily donna michelle carol amanda dorothy melissa deborah stephanie rebecca sharon laura cynthia kathleen amy
angela shirley anna brenda pamela emma nicole helen samantha katherine christine debra rachel carolyn janet catherine
maria heather diane ruth julie olivia joyce virginia victoria kelly lauren christina joan evelyn judith megan andrea
cheryl hannah jacqueline martha gloria teresa ann sara madison frances kathryn janice jean abigail alice judy sophia
denise beverly danielle marilyn amber theresa diana natalie brittany charlotte marie kayla alexis lori isabella mia
ava amelia harper ella avery sofia camila aria scarlett chloe penelope layla riley zoey nora lily eleanor lillian
addison aubrey ellie stella natalia zoe leah hazel violet aurora savannah audrey brooklyn bella claire skylar lucy
paisley everly caroline nova genesis emilia kennedy maya willow kinsley naomi aaliyah elena ariana allison gabriella
alexa madelyn cora eva serenity autumn adeline hailey gianna valentina isla eliana quinn nevaeh ivy sadie piper lydia
alexandra poppy freya daisy phoebe evie florence millie rosie imogen jessica holly megan bethany chelsea gemma kirsty
leanne stacey kerry lindsey tracey tracy wendy joanne jo claire nicola
lukas leon finn jonas elias luis paul felix maximilian ben noah tim jan niklas moritz julian fabian tobias florian
dominik kai marcel sven jürgen juergen klaus hans uwe dieter wolfgang günter guenter helmut horst werner gerhard
manfred heinz stefan thorsten torsten markus matthias andreas frank jörg joerg dirk ralf rolf holger volker bernd
anja katrin kathrin sabine petra ute birgit heike andrea claudia susanne monika renate ingrid gisela ursula helga
karin brigitte jutta silke nicole stefanie steffi julia lena laura lea leonie hannah mia emma sophie marie anna
lina johanna klara greta ida frieda lotte
jean pierre michel philippe alain jacques bernard patrick nicolas christophe françois francois laurent éric eric
frédéric frederic sébastien sebastien olivier julien thomas mathieu matthieu guillaume romain antoine maxime
alexandre hugo louis gabriel raphaël raphael arthur jules léo leo lucas adam théo theo nathan enzo clément clement
baptiste quentin thibault benoît benoit yves gérard gerard rené rene didier thierry pascal dominique marcel
marie nathalie isabelle sylvie catherine françoise francoise valérie valerie christine sandrine véronique veronique
sophie céline celine chantal stéphanie stephanie aurélie aurelie émilie emilie camille manon léa lea chloé chloe
inès ines jade louise alice lina rose ambre juliette margaux margot océane oceane mathilde pauline élodie elodie
amélie amelie virginie delphine agnès agnes brigitte monique josette colette geneviève genevieve
joão joao josé jose antônio antonio francisco carlos paulo pedro lucas luiz luis marcos gabriel rafael daniel
marcelo bruno eduardo felipe raimundo rodrigo manoel manuel mateus matheus andré andre fernando fábio fabio
leonardo gustavo guilherme leandro tiago thiago anderson ricardo márcio marcio jorge sebastião sebastiao alexandre
roberto edson diego vitor victor sérgio sergio cláudio claudio renato igor caio vinícius vinicius henrique
otávio otavio davi arthur heitor bernardo samuel enzo miguel murilo
maria ana francisca antônia antonia adriana juliana márcia marcia fernanda patrícia patricia aline sandra camila
amanda bruna jéssica jessica letícia leticia júlia julia luciana vanessa mariana gabriela vera vitória vitoria
larissa cláudia claudia beatriz rita luana sônia sonia renata eliane raquel simone débora debora carla tatiana
priscila natália natalia daniela alessandra cristina helena alice laura valentina sophia isabela manuela
rahul amit raj rajesh suresh ramesh mahesh sanjay vijay anil sunil ajay vikram arjun rohit rohan sachin
deepak manoj ashok prakash ravi kiran arun varun karan nikhil abhishek aditya akash ankit gaurav harsh
himanshu mohit naveen pankaj pradeep pranav prateek rakesh sandeep saurabh shubham siddharth sumit sunny tarun
vishal vivek yash aarav vihaan vivaan ayaan reyansh krishna ishaan shaurya atharv advik kabir dhruv
venkat srinivas subramanian ganesh murali balaji prasad satish girish naresh dinesh mukesh rakesh umesh
priya pooja neha anjali divya kavya sneha shreya ananya aditi deepika swati nisha ritu pallavi sunita anita
kavita geeta seema rekha meena lakshmi sita radha aishwarya shalini sapna preeti jyoti komal simran tanvi
isha riya diya saanvi aadhya anika avni ira myra kiara sara meera nandini lavanya harini revathi
sofía sofia martín martin mateo santiago sebastián sebastian alejandro diego javier miguel pablo sergio
lucía lucia valeria camila daniela carmen isabel elena paula marta
ahmed mohammed muhammad mohamed ali omar hassan hussein yusuf ibrahim fatima aisha zainab mariam
wei li ming chen jun hiroshi yuki kenji akira sakura
sam tom ben dan alex chris matt mike jim joe kate liz beth jen jess meg pete rob steve tony nick greg trevor
jane anne annie kim eve lucy molly katie kathy cathy debbie becky vicky nikki tina gina lisa sue susie julia
bob rick ricky dave davey andy phil fred ted ed ron tim jon dom seb ollie olly zach josh jake luke nate
fiona niamh siobhan aoife ciara sinead seamus declan colm eoin cian niall ronan imogen harriet tabitha jemima
rupert hugo giles nigel trevor derek graham colin gordon keith malcolm neil stuart alistair hamish angus
morag kirsty shona fraser lachlan priscilla vaughn megan darren craig wayne dean shane lee ryan jamie
imran irfan salman faisal asif arif tariq zubair nadia sana ayesha farah hina rukhsana shabnam zoya
ulrike björn bjorn jörn jorn kerstin gabi gabriele annette doris elke bärbel jens lars nils ole timo jannik
chloé chloe camille manon léa antoine maxime clément romain gaspard margaux capucine apolline
thiago tiago joão joao ana beatriz fernanda luana larissa priscila rayssa kauã kaua
`

const surnames = `
smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez gonzalez wilson anderson
thomas taylor moore jackson martin lee perez thompson white harris sanchez clark ramirez lewis robinson walker young
allen king wright scott torres nguyen hill flores green adams nelson baker hall rivera campbell mitchell carter roberts
gomez phillips evans turner diaz parker cruz edwards collins reyes stewart morris morales murphy cook rogers gutierrez
ortiz morgan cooper peterson bailey reed kelly howard ramos kim cox ward richardson watson brooks chavez wood james
bennett gray mendoza ruiz hughes price alvarez castillo sanders patel myers long ross foster jimenez powell jenkins
perry russell sullivan bell coleman butler henderson barnes gonzales fisher vasquez simmons romero jordan patterson
alexander hamilton graham reynolds griffin wallace moreno west cole hayes bryant herrera gibson ellis tran medina
aguilar stevens murray ford castro marshall owens harrison fernandez mcdonald woods washington kennedy wells vargas
henry chen freeman webb tucker guzman burns crawford olson simpson porter hunter gordon mendez silva shaw snyder mason
dixon munoz hunt hicks holmes palmer wagner black robertson boyd rose stone salazar fox warren mills meyer rice
schmidt garza daniels ferguson nichols stephens soto weaver ryan gardner payne grant dunn kelley spencer hawkins
arnold pierce vazquez hansen peters santos hart bradley knight elliott cunningham duncan armstrong hudson carroll
lane riley andrews alvarado ray delgado berry perkins hoffman johnston matthews pena richards willis carpenter
lawrence sandoval obrien o'brien oconnor o'connor mccarthy murphy walsh byrne doyle kavanagh
davies wilson roberts wright thompson white hughes edwards green hall wood harris lewis martin jackson clarke clark
turner hill scott cooper morris ward moore king watson baker harrison morgan patel young allen mitchell anderson
lee bell parker davis cox richardson evans wilkinson shaw dawson fletcher hodgson ashworth pemberton whitfield
müller mueller schmidt schneider fischer weber meyer meier wagner becker schulz hoffmann schäfer schaefer koch bauer
richter klein wolf schröder schroeder neumann schwarz zimmermann braun krüger krueger hofmann hartmann lange schmitt
werner schmitz krause meier lehmann schmid schulze maier köhler koehler herrmann könig koenig walter mayer huber
kaiser fuchs peters lang scholz möller moeller weiß weiss jung hahn schubert vogel friedrich keller günther
guenther frank berger winkler roth beck lorenz baumann franke albrecht schuster simon ludwig böhm boehm winter
kraus martin schumacher krämer kraemer vogt stein jäger jaeger otto sommer groß gross seidel heinrich brandt haas
martin bernard dubois thomas robert richard petit durand leroy moreau simon laurent lefebvre michel garcia david
bertrand roux vincent fournier morel girard andré andre lefèvre lefevre mercier dupont lambert bonnet françois
francois martinez legrand garnier faure rousseau blanc guerin guérin muller henry roussel nicolas perrin morin
mathieu clement clément gauthier dumont lopez fontaine chevalier robin masson sanchez gerard gérard nguyen boyer
denis lemaire duval joly gautier roger roche roy noel noël meyer lucas meunier jean perez marchand dufour blanchard
marie barbier brun dumas brunet schmitt leroux colin fernandez pierre renard arnaud rolland caron aubert giraud
leclerc vidal bourgeois renaud lemoine picard gaillard philippe leclercq lacroix fabre dupuis olivier rodriguez
silva santos oliveira souza sousa rodrigues ferreira alves pereira lima gomes costa ribeiro martins carvalho
almeida lopes soares fernandes vieira barbosa rocha dias nascimento andrade moreira nunes marques machado mendes
freitas cardoso ramos gonçalves goncalves santana teixeira araújo araujo correia pinto moura cavalcanti monteiro
azevedo campos castro batista barros reis melo cunha coelho miranda pires
sharma verma gupta singh kumar patel shah mehta joshi desai reddy rao nair menon pillai iyer iyengar krishnan
agarwal aggarwal bansal goyal jain malhotra kapoor khanna chopra bhatia arora sethi saxena srivastava mishra
pandey tiwari dubey chaturvedi trivedi shukla yadav chauhan rathore thakur chaudhary choudhary banerjee chatterjee
mukherjee bose das dutta ghosh sen roy chakraborty naidu chowdhury kulkarni deshpande patil pawar jadhav shinde
gaikwad more bhat hegde shetty kamath prabhu naik fernandes dsouza d'souza pinto rodrigues gill sandhu sidhu dhillon
grewal bajwa khan ahmed ali hussain qureshi siddiqui ansari sheikh shaikh syed mirza
`

// ambiguousNames are listed names that are also ordinary words, places or
// brands. Alone they are not a person; beside a listed surname or after a
// cue they are.
const ambiguousNames = `
will mark bill grace rose may june april august summer hope faith joy dawn amber ruby jade crystal penny sandy rich
frank guy max chase hunter mason carter cooper taylor parker jordan austin dallas paris florence victoria georgia
virginia carolina india china brooklyn lincoln ford sky river brook autumn winter star angel destiny heaven honey
candy cherry ginger olive violet iris lily daisy holly ivy hazel pearl jasmine willow melody harmony charity patience
mercy baker cook young king white black brown green gray grey long little page price rice wood hall lane field hill
banks bishop cross day fox frost gold hart hunt knight lord marsh moon moss nash sharp short snow stone swift west
north south wolf bell mills bush chance drew gene pat sue don ray art al sol glen dean miles wade reed cole brandy
misty sunny christian noel eve major sterling royal prince duke earl walker turner carpenter mason porter fisher
miller butler booth church wells ward shaw ball sun phoenix nova genesis serenity aurora legend messiah kai leo
marie jean paul simon thomas martin louis henry roger denis robin pierre lucas michel olivier jean-pierre
beck hahn vogel roth lang weiss wolf koch sommer winter stein jung lange braun klein schwarz frank kaiser
rosa luz paz cruz santos reis rocha pinto campos castro ramos costa nunes marques dias lima bruno felipe
raj kiran sunny ravi shah singh sahil arjun
apple amazon jet sierra harley mercedes porsche tesla dell mac alexa siri ed dom nate
`

// stopWords are common function words and everyday nouns in the supported
// languages. They are never a name and never a password, which is what
// stops "Hi there", "I'm sorry", "my password is wrong".
const stopWords = `
a about above after again against all am an and any are aren't as at be because been before being below between
both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each few for from
further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him himself his how
how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't my myself no nor not of
off on once only or other ought our ours ourselves out over own same shan't she she'd she'll she's should shouldn't
so some such than that that's the their theirs them themselves then there there's these they they'd they'll they're
they've this those through to too under until up very was wasn't we we'd we'll we're we've were weren't what what's
when when's where where's which while who who's whom why why's with won't would wouldn't you you'd you'll you're
you've your yours yourself yourselves im ive id dont cant wont didnt doesnt isnt wasnt
yes yeah yep ok okay sure please pls plz thanks thank hello hi hey sorry just also still already now today tomorrow
yesterday tonight soon later here there again maybe really actually anyway however because since though although
new old good great bad wrong right correct incorrect invalid valid expired locked blocked reset forgotten forgot
changed change changing working broken same different another other next last first second third one two three four
five six seven eight nine ten wanted want need needs needed got get getting gets go going gone went come coming came
see seen saw know known knew think thought tried try trying help helping helped told tell telling said say says
asked ask asking sent send sending received receive email emailed phone called call text texted message messaged
order ordered orders delivery delivered deliver shipping shipped refund refunded return returned cancel cancelled
canceled account login log logged sign signed payment paid pay charged charge card item items package parcel box
not nothing none never ever every everything something anything someone anyone everyone here there where
happy glad sad upset angry frustrated disappointed confused unhappy fine well better worse best worst
available unavailable waiting wait still yet hope hoping looking look checking check writing write following
sir madam team support customer service agent manager supervisor
und oder aber der die das den dem des ein eine einen einem einer ist sind war waren bin bist hat haben habe hatte
ich du er sie es wir ihr mein meine meinen mir mich dich dir sein seine ihre unser nicht kein keine mit von zu zum
zur bei für fuer auf aus nach vor über ueber unter bitte danke ja nein hallo leider noch schon auch nur sehr gut
le la les un une des du de et ou mais est sont suis es je tu il elle nous vous ils elles mon ma mes ton ta tes
son sa ses notre votre leur pas ne que qui quoi dans sur avec pour par ce cette ces merci oui non bonjour
o a os as um uma uns umas de do da dos das e ou mas é são sou eu tu ele ela nós vós eles elas meu minha meus
minhas seu sua não nao sim com sem para por que obrigado obrigada olá oi
el los las y pero es soy yo mi mis su sus no si con sin para por que gracias hola
`

// commonCapitalised are capitalised words that are not names: days, CX
// vocabulary, companies and places that collide with name lists.
const commonCapitalised = `
monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat sun
montag dienstag mittwoch donnerstag freitag samstag sonntag lundi mardi mercredi jeudi vendredi samedi dimanche
segunda terça terca quarta quinta sexta sábado sabado domingo
order orders support customer service team delivery refund account payment invoice ticket case status update
shipping return returns store shop product products item items help urgent re fwd fw subject note notes
amazon apple google microsoft samsung nike adidas ebay paypal stripe visa mastercard amex shopify zendesk
salesforce netflix spotify uber lyft whatsapp facebook instagram twitter linkedin youtube iphone ipad android
windows mac macbook galaxy pixel alexa kindle prime dhl ups fedex usps hermes royal mail post office
london manchester birmingham leeds glasgow edinburgh liverpool bristol cardiff belfast
berlin hamburg münchen munich köln cologne frankfurt stuttgart düsseldorf dresden leipzig
paris lyon marseille toulouse nice nantes bordeaux lille strasbourg
mumbai delhi bangalore bengaluru chennai hyderabad kolkata pune ahmedabad jaipur
são sao paulo rio janeiro brasília brasilia salvador fortaleza recife curitiba
new york los angeles chicago houston boston seattle denver atlanta miami dallas austin phoenix
england scotland wales ireland britain uk usa us america germany deutschland france brazil brasil india
european english german french spanish portuguese hindi
christmas easter xmas black friday cyber noël noel pâques paques natal weihnachten ostern
mom mum dad mommy mummy daddy grandma grandpa granny nan nana auntie aunt uncle sis bro babe darling honey
bakery ltd inc llc gmbh co company pvt limited services solutions group corp sarl ltda cafe café studio agency
supply supplies textiles traders enterprises industries foods logistics warehouse hub depot courier
`

const usStates = `
al ak az ar ca co ct de dc fl ga hi ia id il in ks ky la ma md me mi mn mo ms mt nc nd ne nh nj nm nv ny oh ok or pa ri
sc sd tn tx ut va vt wa wi wv wy
alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho illinois
indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota mississippi missouri montana
nebraska nevada ohio oklahoma oregon pennsylvania tennessee texas utah vermont virginia washington wisconsin wyoming
`

// cities are large cities of the supported countries, used only as postcode
// context ("10115 Berlin", "Mumbai 400001").
const cities = `
london manchester birmingham leeds glasgow edinburgh liverpool bristol cardiff belfast sheffield newcastle
nottingham leicester coventry bradford brighton oxford cambridge york reading southampton portsmouth
berlin hamburg münchen muenchen munich köln koeln cologne frankfurt stuttgart düsseldorf duesseldorf dortmund essen
leipzig bremen dresden hannover nürnberg nuernberg duisburg bochum wuppertal bielefeld bonn münster muenster
karlsruhe mannheim augsburg wiesbaden freiburg mainz kiel
paris marseille lyon toulouse nice nantes strasbourg montpellier bordeaux lille rennes reims toulon grenoble dijon
angers nîmes nimes villeurbanne clermont-ferrand aix-en-provence brest tours amiens limoges annecy perpignan metz
mumbai delhi bangalore bengaluru hyderabad ahmedabad chennai kolkata surat pune jaipur lucknow kanpur nagpur indore
thane bhopal visakhapatnam patna vadodara ghaziabad ludhiana agra nashik faridabad meerut rajkot gurgaon gurugram
noida kochi cochin coimbatore mysore mysuru chandigarh guwahati trivandrum thiruvananthapuram
são sao paulo rio janeiro brasília brasilia salvador fortaleza belo horizonte manaus curitiba recife goiânia goiania
belém belem porto alegre guarulhos campinas florianópolis florianopolis niterói niteroi santos
new york los angeles chicago houston phoenix philadelphia san antonio diego dallas jose austin jacksonville
columbus charlotte francisco indianapolis seattle denver boston detroit nashville portland las vegas memphis
louisville baltimore milwaukee albuquerque tucson fresno sacramento atlanta miami oakland minneapolis
springfield anytown
`

// brandNames are brands and products written like a person's name; they
// survive even after a title ("Dr. Martens") or a greeting-like word.
const brandNames = `
ben & jerry's, ben and jerry's, ben jerry, tommy hilfiger, dr martens, dr. martens, doc martens, calvin klein, ralph lauren,
hugo boss, kenneth cole, michael kors, tory burch, marc jacobs, kate spade, tom ford, vera wang, victoria's secret,
uncle ben's, aunt jemima, betty crocker, paul mitchell, john deere, jack daniel's, jack daniels, johnnie walker,
jim beam, dr pepper, dr. pepper, mrs. meyer's, mrs meyer's, dr. bronner's, dr bronner's, martha stewart, ted baker,
jimmy choo, christian louboutin, louis vuitton, giorgio armani, yves saint laurent, estée lauder, estee lauder,
bobbi brown, charlotte tilbury, anne klein, steve madden, sam edelman, stuart weitzman, jessica simpson, oscar mayer,
mr. clean, mr clean, mr. coffee, mr coffee, mr muscle, dr. scholl's, dr scholl's, dr. oetker, dr oetker, ben sherman,
fred perry, paul smith, vivienne westwood, stella mccartney, alexander mcqueen, tom tailor, jack wolfskin,
jack & jones, jack and jones, tim hortons, wendy's, papa john's, tommy jeans, tommy bahama, philip morris,
jean paul gaultier, coco chanel, karl lagerfeld, ray-ban, ray ban, levi's, levi strauss, marks & spencer,
marks and spencer, dolce & gabbana, dolce gabbana, abercrombie & fitch, ted lasso, harry potter, peppa pig,
mickey mouse, minnie mouse, barbie, ken doll, sherlock holmes, james bond, captain morgan, jose cuervo,
sam adams, samuel adams, newman's own, wally's, ronald mcdonald, colonel sanders, mrs fields, mrs. fields,
dr. brown's, dr brown's, dr. jart, dr jart, dr. dennis gross, paula's choice, kiehl's, bath & body works,
william hill, john lewis, sainsbury's, morrisons, david jones, georg jensen, max mara, emilio pucci, yves rocher, jack wills,
guess, diesel, lacoste, chanel, dior, gucci, prada, versace, burberry, hermès, hermes, cartier,
ronaldo, messi, elvis presley,
carolina herrera, oscar de la renta, christian dior, nina ricci, paco rabanne, vera bradley, john varvatos, ed hardy,
lilly pulitzer, betsey johnson, brooks brothers, eddie bauer, ll bean, l.l.bean, perry ellis, pierre cardin,
saint laurent, alexander wang, diane von furstenberg, manolo blahnik, salvatore ferragamo, emporio armani,
elizabeth arden, helena rubinstein, jo malone, carmen steffens, alexandre birman, maria filó, ritu kumar,
sabyasachi, manish malhotra, anita dongre, allen solly, louis philippe, van heusen, peter england, john players,
marc o'polo, dr. hauschka, dr hauschka, sebastian kneipp, jil sander, wolfgang joop, otto kern, gerry weber,
betty barclay, bruno banani, daniel hechter, agnès b, isabel marant, jean-louis david, pierre hermé, karen millen,
laura ashley, holland & barrett, charles tyrwhitt, hawes & curtis, thomas pink, ann taylor, rachael ray,
wolfgang puck, paula deen, mrs. butterworth's, sara lee, little debbie, chef boyardee, orville redenbacher,
duncan hines, marie callender's, burt's bees, john frieda, vidal sassoon, mary kay, harley davidson,
black & decker, tom & jerry, ben & holly, mr. potato head, mr potato head, calvin harris, tony's chocolonely,
sebastian professional, franklin & marshall, tommy hilfiger jeans, kenzo, jimmy fairly, bobbi, sally hansen,
max factor, estée, rimmel, benefit, kiko milano, ted baker london
`
