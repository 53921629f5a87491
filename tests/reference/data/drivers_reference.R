# Reference values for tests/reference/test_drivers_reference.py (R 4.2).
# relaimpo 2.2-7 and rwa 0.1.0 from their CRAN sources (github.com/cran/relaimpo,
# github.com/cran/rwa), installed with R CMD INSTALL -l /tmp/rlib; only the numbers this
# prints and the CSV files it writes are kept in the repository.

## ref1: LMG, first, betasq (relaimpo), relative weights (rwa); writes swiss.csv, mtcars.csv
.libPaths(c("/tmp/rlib", .libPaths()))
library(relaimpo); library(rwa)
options(digits=15)
r <- calc.relimp(Fertility ~ ., data = swiss, type = c("lmg","first","betasq","last","pratt"))
print(r@R2); print(r@lmg); print(r@first); print(r@betasq); print(r@pratt)
r2 <- calc.relimp(mpg ~ cyl + disp + hp + wt + qsec + drat, data = mtcars, type = c("lmg","first","betasq"))
print(r2@R2); print(r2@lmg); print(r2@first); print(r2@betasq)
# weighted LMG on swiss with weights = Catholic/100 + 0.5 (deterministic positive weights)
sw <- swiss; sw$w <- sw$Catholic/100 + 0.5
r3 <- calc.relimp(Fertility ~ Agriculture + Examination + Education + Catholic + Infant.Mortality, data = sw, weights = w, type = "lmg")
print(r3@R2); print(r3@lmg)
# rwa on swiss and mtcars
a <- rwa(swiss, "Fertility", c("Agriculture","Examination","Education","Catholic","Infant.Mortality"), sort=FALSE)
print(a$rsquare); print(a$result)
b <- rwa(mtcars, "mpg", c("cyl","disp","hp","wt","qsec","drat"), sort=FALSE)
print(b$rsquare); print(b$result)
write.csv(swiss, "swiss.csv", row.names = TRUE)
write.csv(mtcars, "mtcars.csv", row.names = TRUE)

## ref2: binary outcome, McFadden Shapley and Tonidandel & LeBreton weights; writes birthwt.csv
options(digits=15)
library(MASS)
d <- birthwt[, c("low","age","lwt","smoke","ptl","ht","ui","ftv")]
write.csv(d, "birthwt.csv", row.names = FALSE)
preds <- c("age","lwt","smoke","ptl","ht","ui","ftv")
p <- length(preds)
# McFadden pseudo-R2 for every subset, then the Shapley value by its definition
ll0 <- as.numeric(logLik(glm(low ~ 1, family = binomial, data = d, control = glm.control(epsilon = 1e-14, maxit = 100))))
r2 <- numeric(2^p)
for (m in 0:(2^p - 1)) {
  inc <- preds[bitwAnd(m, 2^(0:(p-1))) > 0]
  f <- if (length(inc)) reformulate(inc, "low") else low ~ 1
  r2[m + 1] <- 1 - as.numeric(logLik(glm(f, family = binomial, data = d, control = glm.control(epsilon = 1e-14, maxit = 100)))) / ll0
}
phi <- numeric(p)
for (j in 1:p) for (m in 0:(2^p - 1)) if (bitwAnd(m, 2^(j-1)) == 0) {
  k <- sum(bitwAnd(m, 2^(0:(p-1))) > 0)
  phi[j] <- phi[j] + factorial(k) * factorial(p - k - 1) / factorial(p) * (r2[m + 2^(j-1) + 1] - r2[m + 1])
}
names(phi) <- preds
cat("mcfadden full\n"); print(r2[2^p]); print(phi); print(sum(phi))
# Tonidandel & LeBreton (2010) logistic relative weights, steps of their paper
X <- scale(as.matrix(d[, preds]))
s <- svd(X); Z <- scale(s$u %*% t(s$v))
Lambda <- solve(crossprod(Z), crossprod(Z, X))
fit <- glm(d$low ~ Z, family = binomial, control = glm.control(epsilon = 1e-14, maxit = 100))
b <- coef(fit)[-1]
phat <- fitted(fit)
Rsq <- cor(phat, d$low)^2
beta <- b * sqrt(Rsq) / sd(qlogis(phat))
eps <- as.vector(Lambda^2 %*% beta^2)
names(eps) <- preds
cat("TL2010\n"); print(Rsq); print(eps); print(sum(eps))

## ref3: regression coefficients, Fisher-z intervals, weighted fits
options(digits=15)
s <- as.data.frame(scale(swiss))
f <- lm(Fertility ~ ., data = s)
print(summary(f)$coefficients); print(confint(f, level = 0.95))
ct <- cor.test(swiss$Fertility, swiss$Education, conf.level = 0.95)
print(ct$estimate); print(ct$conf.int); print(ct$p.value)
ct <- cor.test(swiss$Fertility, swiss$Catholic, conf.level = 0.90)
print(ct$estimate); print(ct$conf.int); print(ct$p.value)
# weighted standardized betas: WLS on weighted-z-scored data, weights Catholic/100 + 0.5
w <- swiss$Catholic/100 + 0.5
wz <- function(x) { m <- weighted.mean(x, w); (x - m) / sqrt(sum(w * (x - m)^2) / sum(w)) }
sw <- as.data.frame(lapply(swiss, wz))
fw <- lm(Fertility ~ ., data = sw, weights = w)
print(summary(fw)$coefficients); print(summary(fw)$r.squared)
# weighted McFadden Shapley, birthwt, weights 0.5 + lwt/250 (non-integer: glm warns; estimates are the weighted MLE)
library(MASS)
d <- birthwt; d$w <- 0.5 + d$lwt/250
preds <- c("age","smoke","ptl","ht")
p <- length(preds)
ll <- function(f) { g <- suppressWarnings(glm(f, family = binomial, data = d, weights = w, control = glm.control(epsilon = 1e-14, maxit = 100))); mu <- fitted(g); sum(d$w * (d$low*log(mu) + (1-d$low)*log(1-mu))) }
ll0 <- ll(low ~ 1)
r2 <- numeric(2^p)
for (m in 0:(2^p - 1)) { inc <- preds[bitwAnd(m, 2^(0:(p-1))) > 0]; f <- if (length(inc)) reformulate(inc, "low") else low ~ 1; r2[m+1] <- 1 - ll(f)/ll0 }
phi <- numeric(p)
for (j in 1:p) for (m in 0:(2^p - 1)) if (bitwAnd(m, 2^(j-1)) == 0) { k <- sum(bitwAnd(m, 2^(0:(p-1))) > 0); phi[j] <- phi[j] + factorial(k)*factorial(p-k-1)/factorial(p)*(r2[m+2^(j-1)+1]-r2[m+1]) }
names(phi) <- preds; print(r2[2^p]); print(phi)

## ref4: logistic coefficients, Menard betas, pairwise LMG, IPA intervals; writes swiss_missing.csv
.libPaths(c("/tmp/rlib", .libPaths()))
suppressMessages(library(relaimpo))
options(digits=15)
library(MASS)
d <- birthwt[, c("low","age","lwt","smoke","ptl","ht","ui","ftv")]
g <- glm(low ~ scale(age) + scale(lwt) + scale(smoke) + scale(ptl) + scale(ht) + scale(ui) + scale(ftv), family = binomial, data = d, control = glm.control(epsilon = 1e-14, maxit = 100))
print(summary(g)$coefficients)
phat <- fitted(g)
cat("menard betasq\n")
print((coef(g)[-1] * sqrt(cor(phat, d$low)^2) / sd(qlogis(phat)))^2)
cat("mcfadden\n"); print(1 - as.numeric(logLik(g)) / as.numeric(logLik(update(g, . ~ 1))))
# pairwise LMG on swiss with missing values
sw <- swiss; sw$Education[1:5] <- NA; sw$Catholic[10:14] <- NA; sw$Agriculture[c(20, 30, 40)] <- NA
write.csv(sw, "swiss_missing.csv", row.names = TRUE)
cp <- cor(sw, use = "pairwise.complete.obs")
r <- calc.relimp(cp, type = "lmg")
print(r@R2); print(r@lmg)
cat("listwise\n"); r <- calc.relimp(Fertility ~ ., data = na.omit(sw), type = "lmg"); print(r@R2); print(r@lmg)
cat("ipa\n")
print(t.test(mtcars$gear, conf.level = 0.95)$conf.int); print(mean(mtcars$gear))
print(prop.test(sum(mtcars$gear >= 4), 32, correct = FALSE, conf.level = 0.95)$conf.int)
print(t.test(mtcars$carb, conf.level = 0.90)$conf.int); print(mean(mtcars$carb))
