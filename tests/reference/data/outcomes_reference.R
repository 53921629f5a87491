# Reference values for tests/reference/test_outcomes_reference.py (R 4.2, survey 4.1-1).
# Data: kotiposti's current customers from data/demo/responses.csv (the committed demo), with
# a deterministic weight; written to tests/reference/data/outcomes.csv by this script.
library(survey)
options(digits = 15)
d <- read.csv("data/demo/responses.csv", stringsAsFactors = FALSE)
d <- d[d$client == "kotiposti" & d$customer_type == "current",
       c("respondent_id", "nps", "retained", "clv", "region", "attr_effectiveness",
         "attr_ease", "attr_reliability", "attr_price")]
d$retained <- as.integer(d$retained == "true")
d$w <- ifelse(d$region == "uusimaa", 0.7, 1.3)
write.csv(d, "tests/reference/data/outcomes.csv", row.names = FALSE)

## ref1: glm, unweighted, predictors scaled with scale() on complete rows
preds <- c("attr_effectiveness", "attr_ease", "attr_reliability", "attr_price")
cc <- d[complete.cases(d[, c("retained", preds)]), ]
cat("n complete", nrow(cc), "\n")
z <- as.data.frame(scale(cc[, preds])); z$retained <- cc$retained
fit <- glm(retained ~ ., family = binomial, data = z,
           control = glm.control(epsilon = 1e-14, maxit = 100))
print(coef(summary(fit)))
print(exp(confint.default(fit)))
print(1 - as.numeric(logLik(fit)) / as.numeric(logLik(update(fit, . ~ 1))))

## ref2: svyglm with weights (ids = ~1); predictors scaled by weighted mean and weighted SD
## with the Bessel correction on Kish's n
wscale <- function(x, w) {
  m <- sum(w * x) / sum(w); k <- sum(w)^2 / sum(w^2)
  (x - m) / sqrt(sum(w * (x - m)^2) / sum(w) * k / (k - 1))
}
zw <- as.data.frame(lapply(cc[, preds], wscale, w = cc$w))
zw$retained <- cc$retained; zw$w <- cc$w; zw$respondent_id <- cc$respondent_id
des <- svydesign(ids = ~1, weights = ~w, data = zw)
sfit <- svyglm(retained ~ attr_effectiveness + attr_ease + attr_reliability + attr_price,
               design = des, family = quasibinomial(),
               control = glm.control(epsilon = 1e-14, maxit = 100))
print(coef(sfit)); print(sqrt(diag(vcov(sfit))))

## ref3: svyglm, unweighted, clusters = respondent_id (people answering several waves)
z$respondent_id <- cc$respondent_id
desc <- svydesign(ids = ~respondent_id, data = z)
cfit <- svyglm(retained ~ attr_effectiveness + attr_ease + attr_reliability + attr_price,
               design = desc, family = quasibinomial(),
               control = glm.control(epsilon = 1e-14, maxit = 100))
print(coef(cfit)); print(sqrt(diag(vcov(cfit))))

## ref4: value at stake = D * (PR/P - DR/D) * DRC/DR by svycontrast on svymean
v <- d[complete.cases(d[, c("nps", "retained", "clv")]), ]
v$D <- as.numeric(v$nps <= 6); v$P <- as.numeric(v$nps >= 7 & v$nps <= 8)
v$DR <- v$D * v$retained; v$PR <- v$P * v$retained; v$DRC <- v$DR * v$clv
stake <- quote(D * (PR / P - DR / D) * DRC / DR)
for (des in list(svydesign(ids = ~1, data = v),
                 svydesign(ids = ~1, weights = ~w, data = v),
                 svydesign(ids = ~respondent_id, data = v))) {
  m <- svymean(~D + P + DR + PR + DRC, des)
  r <- svycontrast(m, stake); print(c(coef(r), SE(r)), digits = 15)
}
